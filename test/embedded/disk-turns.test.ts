import { expect } from "chai";
import { DiskTurns } from "../../packages/ferry/src/broker/storage/disk-turns.js";

describe("DiskTurns", () => {
  it("lets one holder in at a time, the waiting ones in the order they asked", async () => {
    const turns = new DiskTurns();
    const log: string[] = [];
    const writer = async (name: string, steps: number) => {
      await turns.acquire();
      log.push(`${name} in`);
      for (let i = 0; i < steps; i++) await Promise.resolve(); // a write taking a few ticks
      log.push(`${name} out`);
      turns.release();
    };
    await Promise.all([writer("a", 3), writer("b", 1), writer("c", 2)]);
    expect(log).to.deep.equal(["a in", "a out", "b in", "b out", "c in", "c out"]);
    // Free again: the next caller gets its turn at once.
    let entered = false;
    void turns.acquire().then(() => (entered = true));
    await Promise.resolve();
    expect(entered).to.equal(true);
  });
});
