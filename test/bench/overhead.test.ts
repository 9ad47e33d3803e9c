import { expect } from "chai";
import { overheadVariants } from "../../bench/overhead/run-overhead.js";
import { overheadText } from "../../bench/overhead/overhead-report.js";

describe("bench observability overhead", () => {
  const runs = {
    baseline: [100, 200],
    tracing: [50, 50],
    "tcp-baseline": [10, 20],
    "tcp-tracing": [8, 10],
  };

  it("compares each variant with nothing on over its own broker, round by round, by the median", () => {
    const variants = overheadVariants(runs);
    const ratio = (id: string) => variants.find((variant) => variant.id === id)?.medianRatio;
    expect(variants.map((variant) => variant.id)).to.deep.equal(["baseline", "tracing", "tcp-baseline", "tcp-tracing"]);
    expect(ratio("baseline")).to.equal(1);
    expect(ratio("tracing")).to.equal(0.375); // 0.5 and 0.25
    expect(ratio("tcp-baseline")).to.equal(1);
    expect(ratio("tcp-tracing")).to.equal(0.65); // 0.8 and 0.5, against the TCP broker's own baseline
  });

  it("leaves out a variant whose baseline did not run", () => {
    expect(overheadVariants({ "tcp-tracing": [8, 10], baseline: [100, 200] }).map((variant) => variant.id)).to.deep.equal(["baseline"]);
  });

  it("tables each variant with its rounds and ratio", () => {
    const text = overheadText({ status: "ok", request: { rounds: 2, runMs: 2_000, warmupMs: 500, inFlight: 64, payloadBytes: 100 }, variants: overheadVariants(runs) })!;
    expect(text).to.include("each ratio is to nothing on over the same broker");
    expect(text.split("\n")).to.include("| over a TCP broker: tracing, as above | 8 · 10 | 0.65x |");
  });
});
