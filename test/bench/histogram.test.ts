import { expect } from "chai";
import { LatencyHistogram } from "../../bench/histogram.js";

describe("bench latency histogram", () => {
  it("reports each nearest-rank percentile within 1% above the true sample", () => {
    const histogram = new LatencyHistogram();
    for (let us = 1; us <= 10_000; us++) histogram.record(us);
    for (const [p, exact] of [[50, 5_000], [90, 9_000], [99, 9_900], [99.9, 9_990]] as const) {
      const reported = histogram.percentile(p);
      expect(reported, `p${p}`).to.be.at.least(exact);
      expect(reported, `p${p}`).to.be.at.most(exact * 1.01);
    }
  });

  it("never reports more than the largest sample, which it keeps exactly", () => {
    const histogram = new LatencyHistogram();
    [3, 7, 123.456].forEach((us) => histogram.record(us));
    expect(histogram.percentile(100)).to.equal(123.456);
    expect(histogram.summary().max).to.equal(123.5);
  });

  it("summarises count, mean and the four percentiles", () => {
    const histogram = new LatencyHistogram();
    for (let i = 0; i < 1000; i++) histogram.record(100);
    const summary = histogram.summary();
    expect(summary.count).to.equal(1000);
    expect(summary.mean).to.equal(100);
    expect([summary.p50, summary.p90, summary.p99, summary.p999]).to.deep.equal([100, 100, 100, 100]);
  });

  it("puts zero and sub-floor latencies in the first bucket", () => {
    const histogram = new LatencyHistogram();
    histogram.record(0);
    histogram.record(0.05);
    expect(histogram.percentile(50)).to.equal(0.05);
    expect(histogram.count).to.equal(2);
  });

  it("has no percentiles before its first sample", () => {
    expect(new LatencyHistogram().percentile(50)).to.be.NaN;
    expect(new LatencyHistogram().summary().count).to.equal(0);
  });

  it("keeps latencies beyond its range in the last bucket", () => {
    const histogram = new LatencyHistogram();
    histogram.record(3_600e6); // an hour
    expect(histogram.percentile(50)).to.equal(3_600e6);
  });
});
