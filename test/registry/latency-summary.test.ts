import { expect } from "chai";
import { LatencySummary } from "../../packages/ferry/src/core/registry/latency-summary.js";

describe("latency summary", () => {
  it("reports zeros before anything is recorded", () => {
    expect(new LatencySummary().snapshot()).to.deep.equal({ count: 0, averageMs: 0, p99Ms: 0, maxMs: 0 });
  });

  it("averages every recorded latency exactly", () => {
    const summary = new LatencySummary();
    for (const ms of [1, 2, 3, 10]) summary.record(ms);
    expect(summary.snapshot()).to.include({ count: 4, averageMs: 4, maxMs: 10 });
  });

  it("reads the 99th percentile within one bucket (19%) above the true value", () => {
    const summary = new LatencySummary();
    for (let ms = 1; ms <= 1000; ms++) summary.record(ms);
    const { p99Ms } = summary.snapshot();
    expect(p99Ms).to.be.at.least(990).and.at.most(990 * 2 ** (1 / 4));
  });

  it("leaves a single outlier out of the 99th percentile of 100 calls, and counts two", () => {
    const one = new LatencySummary();
    for (let i = 0; i < 99; i++) one.record(0.5);
    one.record(4_000);
    expect(one.snapshot().p99Ms).to.be.at.least(0.5).and.at.most(0.5 * 2 ** (1 / 4));
    const two = new LatencySummary();
    for (let i = 0; i < 98; i++) two.record(0.5);
    two.record(4_000);
    two.record(4_000);
    expect(two.snapshot().p99Ms).to.equal(4_000);
  });

  it("never reports a percentile above the slowest latency seen", () => {
    const summary = new LatencySummary();
    summary.record(1.001);
    expect(summary.snapshot().p99Ms).to.equal(1.001);
  });

  it("counts latencies beyond its range in its last bucket, keeping the true maximum", () => {
    const summary = new LatencySummary();
    summary.record(10 * 60_000);
    summary.record(0.000_001);
    expect(summary.snapshot()).to.include({ count: 2, maxMs: 600_000, p99Ms: 600_000 });
    expect(summary.quantile(0.5)).to.be.below(0.0012);
  });

  it("takes a negative or NaN latency (a clock stepping back) as zero", () => {
    const summary = new LatencySummary();
    summary.record(-5);
    summary.record(Number.NaN);
    expect(summary.snapshot()).to.deep.equal({ count: 2, averageMs: 0, p99Ms: 0, maxMs: 0 });
  });
});
