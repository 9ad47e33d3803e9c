import { expect } from "chai";
import { LiveTable } from "../../core/live-table.js";

describe("LiveTable", () => {
  it("counts, replaces, takes and lists entries by string id, including names an object already has", () => {
    const table = new LiveTable<string, { n: number }>();
    for (const [i, key] of ["a", "__proto__", "constructor", "toString", "12"].entries()) table.set(key, { n: i });
    table.set("a", { n: 10 });
    expect(table.size).to.equal(5);
    expect(table.get("a")).to.deep.equal({ n: 10 });
    expect(table.get("__proto__")).to.deep.equal({ n: 1 });
    expect(table.get("hasOwnProperty")).to.equal(undefined);
    expect(table.take("constructor")).to.deep.equal({ n: 2 });
    expect(table.take("constructor")).to.equal(undefined);
    expect(table.size).to.equal(4);
    expect(table.values().map((value) => value.n).sort((x, y) => x - y)).to.deep.equal([1, 3, 4, 10]);
  });

  it("keeps a steady population under churn of numeric ids, and lists a copy the caller may change it under", () => {
    const table = new LiveTable<number, number>();
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
    table.set(7, 7);
    table.clear();
    expect([table.size, table.get(7)]).to.deep.equal([0, undefined]);
  });
});
