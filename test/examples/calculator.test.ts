import { expect } from "chai";
import { runExample } from "./run-example.js";

describe("examples/calculator", () => {
  it("runs every step on the in-process broker and exits 0", async () => {
    const run = await runExample("examples/calculator/main.js");
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.include("add(2, 40) = 42");
    expect(run.stdout).to.include("DIVISION_BY_ZERO");
    expect(run.stdout).to.include("NO_RESPONDERS");
    expect(run.stdout.trimEnd().split("\n").at(-1)).to.equal("done");
  });
});
