import { expect } from "chai";
import { parseArgs, UsageError } from "../../bench/args.js";
import { SystemId } from "../../bench/catalog.js";
import { estimateSeconds, planSetups, runsBacklog } from "../../bench/plan.js";

describe("bench plan", () => {
  it("measures every system with 1 and 64 in flight at 100 B and 16 KiB by default", () => {
    const setups = planSetups(parseArgs([])).filter((setup) => setup.partitions === null);
    expect(setups.map((setup) => setup.system)).to.have.length(12);
    const moleculer = setups.find((setup) => setup.system === SystemId.Moleculer)!;
    expect(moleculer.cells).to.deep.equal([
      { inFlight: 1, payloadBytes: 100 },
      { inFlight: 64, payloadBytes: 100 },
      { inFlight: 1, payloadBytes: 16384 },
      { inFlight: 64, payloadBytes: 16384 },
    ]);
  });

  it("adds the in-flight sweep to the same setup without measuring a cell twice", () => {
    const ferryTcp = planSetups(parseArgs([])).find((setup) => setup.system === SystemId.FerryTcp && setup.partitions === null)!;
    expect(ferryTcp.cells.filter((cell) => cell.payloadBytes === 100).map((cell) => cell.inFlight)).to.deep.equal([1, 64, 8, 512]);
  });

  it("gives each partition count a setup of its own on the Ferry TCP broker", () => {
    const swept = planSetups(parseArgs([])).filter((setup) => setup.partitions !== null);
    expect(swept.map((setup) => [setup.system, setup.partitions])).to.deep.equal([
      [SystemId.FerryTcp, 1],
      [SystemId.FerryTcp, 8],
      [SystemId.FerryTcp, 64],
    ]);
  });

  it("runs the partitions sweep and the backlog only when ferry-tcp is selected", () => {
    const options = parseArgs(["--systems", "raw-tcp,nats-inbox"]);
    expect(planSetups(options).map((setup) => setup.system)).to.deep.equal([SystemId.RawTcp, SystemId.NatsInbox]);
    expect(runsBacklog(options)).to.equal(false);
  });

  it("selects parts, in-flight counts and payloads from the command line", () => {
    const options = parseArgs(["--systems", "ferry-tcp", "--parts", "main", "--in-flight", "4", "--payloads", "1024", "--seconds", "2"]);
    expect(planSetups(options)).to.deep.equal([{ system: SystemId.FerryTcp, partitions: null, cells: [{ inFlight: 4, payloadBytes: 1024 }] }]);
    expect(options.seconds).to.equal(2);
  });

  it("keeps --quick within about two minutes", () => {
    const quick = parseArgs(["--quick"]);
    expect(quick.backlogMessages).to.equal(100_000);
    expect(estimateSeconds(quick)).to.be.below(150);
    expect(estimateSeconds(parseArgs([]))).to.be.below(20 * 60);
  });

  it("rejects unknown systems, parts and flags", () => {
    expect(() => parseArgs(["--systems", "kafka"])).to.throw(UsageError, /kafka/);
    expect(() => parseArgs(["--parts", "everything"])).to.throw(UsageError, /everything/);
    expect(() => parseArgs(["--fast"])).to.throw(UsageError, /--fast/);
    expect(() => parseArgs(["--seconds"])).to.throw(UsageError, /needs a value/);
  });
});
