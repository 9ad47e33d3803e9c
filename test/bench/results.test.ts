import { expect } from "chai";
import { SystemId } from "../../bench/catalog.js";
import { baselineOf, findCell, ratioToRawTcp } from "../../bench/results.js";
import { cell, fixtureResults } from "./fixture.js";

describe("bench ratios to raw TCP", () => {
  const cells = fixtureResults.cells;

  it("divides by raw TCP's calls/s at the same in-flight count and payload", () => {
    expect(ratioToRawTcp(cells, findCell(cells, SystemId.FerryTcp, 64, 100)!)).to.equal(0.25);
    expect(ratioToRawTcp(cells, findCell(cells, SystemId.FerryTcp, 1, 16384)!)).to.equal(0.25);
    expect(ratioToRawTcp(cells, findCell(cells, SystemId.FerryInProcess, 1, 100)!)).to.equal(10);
  });

  it("gives raw TCP itself 1", () => {
    expect(ratioToRawTcp(cells, findCell(cells, SystemId.RawTcp, 64, 16384)!)).to.equal(1);
  });

  it("compares a partitions cell with raw TCP's cell of the same load", () => {
    expect(ratioToRawTcp(cells, findCell(cells, SystemId.FerryTcp, 64, 100, 1)!)).to.equal(0.15);
  });

  it("has no ratio without a raw TCP cell of the same load, or for a skipped cell", () => {
    expect(ratioToRawTcp(cells, cell(SystemId.FerryTcp, 512, 100, 1000))).to.equal(undefined);
    expect(ratioToRawTcp(cells, findCell(cells, SystemId.RabbitMq, 64, 100)!)).to.equal(undefined);
  });

  it("does not take a failed raw TCP cell as the baseline", () => {
    const failed = { ...cell(SystemId.RawTcp, 8, 100, 0), status: "failed" as const };
    expect(baselineOf([failed], cell(SystemId.FerryTcp, 8, 100, 10))).to.equal(undefined);
  });
});
