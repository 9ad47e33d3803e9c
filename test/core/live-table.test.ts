import { expect } from "chai";
import { LiveTable } from "../../packages/ferry/src/core/live-table.js";

/** Checks `table` against a Map holding what it should hold. */
function expectSame(table: LiveTable<number>, model: Map<number, number>): void {
  expect(table.size).to.equal(model.size);
  for (const [id, value] of model) expect(table.get(id)).to.equal(value);
  expect(table.values()).to.deep.equal([...model.keys()].sort((a, b) => a - b).map((id) => model.get(id)));
}

describe("LiveTable", () => {
  it("keeps a steady population under churn, and lists a copy the caller may change it under", () => {
    const table = new LiveTable<number>();
    for (let id = 1; id <= 100_000; id++) {
      table.set(id, id);
      if (id > 64) expect(table.take(id - 64)).to.equal(id - 64);
    }
    expect(table.size).to.equal(64);
    const values = table.values();
    for (const value of values) table.take(value);
    expect(values).to.have.length(64);
    expect(values[0]).to.equal(100_000 - 63);
    expect(table.size).to.equal(0);
  });

  it("keeps an entry held while 100,000 newer ones come and go, and one that is replaced or set again", () => {
    const table = new LiveTable<number>();
    const model = new Map<number, number>();
    const put = (id: number, value: number) => (table.set(id, value), model.set(id, value));
    put(0, -1);
    put(3, -3);
    for (let id = 10; id < 100_010; id++) {
      put(id, id);
      if (id >= 20) {
        expect(table.take(id - 10)).to.equal(id - 10);
        model.delete(id - 10);
      }
    }
    put(3, 33); // replaced while it sits in the overflow
    put(5, 5); // an old id set again (a redelivered offset)
    expectSame(table, model);
    expect(table.take(3)).to.equal(33);
    expect(table.take(3)).to.equal(undefined);
  });

  it("grows to keep a population larger than its ring, and still finds every entry", () => {
    const table = new LiveTable<number>();
    const model = new Map<number, number>();
    for (let id = 1; id <= 5_000; id++) {
      table.set(id, id);
      model.set(id, id);
      // Out of order: every third entry of the 2,000 in flight is settled late.
      if (id > 2_000 && (id - 2_000) % 3 !== 0) {
        table.take(id - 2_000);
        model.delete(id - 2_000);
      }
    }
    expectSame(table, model);
  });

  it("finds an entry that went to the overflow after the ring grows back over its id", () => {
    const table = new LiveTable<number>();
    const model = new Map<number, number>();
    // Id 100 is held while its neighbours come and go: the window moves past it with the ring
    // nearly empty, so it goes to the overflow.
    for (let id = 1; id <= 400; id++) {
      table.set(id, id);
      if (id !== 100) table.take(id);
    }
    model.set(100, 100);
    // Then nothing is taken: the ring doubles twice, the second time over id 100.
    for (let id = 401; id <= 1_000; id++) {
      table.set(id, id);
      model.set(id, id);
    }
    expectSame(table, model);
  });

  it("agrees with a Map through 200,000 random sets and takes, populations rising and falling, entries held long", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const table = new LiveTable<number>();
    const model = new Map<number, number>();
    let next = 0;
    for (let step = 0; step < 200_000; step++) {
      // The population swings between a few entries and a few thousand, every 20,000 steps.
      const target = 5 + 3_000 * Math.abs(Math.sin(step / 20_000));
      const roll = random();
      if (roll < 0.01 && model.size > 0) {
        const old = Math.floor(random() * next); // an old id set again
        table.set(old, -step);
        model.set(old, -step);
      } else if (model.size < target || roll < 0.5) {
        next += random() < 0.05 ? 1 + Math.floor(random() * 700) : 1; // mostly dense, sometimes a gap
        table.set(next, step);
        model.set(next, step);
      } else {
        // Take a recent entry mostly; one in fifty from anywhere, so some stay very long.
        const ids = [...model.keys()];
        const id = random() < 0.02 ? ids[Math.floor(random() * ids.length)]! : ids[ids.length - 1 - Math.floor(random() * Math.min(ids.length, 500))]!;
        expect(table.take(id)).to.equal(model.get(id));
        model.delete(id);
      }
      if (step % 10_000 === 0) expectSame(table, model);
    }
    expectSame(table, model);
  });

  it("answers nothing for ids it never held, negative, fractional or not numbers at all", () => {
    const table = new LiveTable<string>();
    table.set(1, "one");
    for (const id of [0, 2, -1, 1.5, Number.NaN, Infinity, Number("x")]) {
      expect(table.get(id)).to.equal(undefined);
      expect(table.take(id)).to.equal(undefined);
    }
    expect(() => table.set(-1, "x")).to.throw(RangeError, /safe integer of 0 or more, got -1/);
    expect(() => table.set(2.5, "x")).to.throw(RangeError, /got 2.5/);
    expect(table.size).to.equal(1);
    table.clear();
    expect([table.size, table.get(1), table.values()]).to.deep.equal([0, undefined, []]);
  });
});
