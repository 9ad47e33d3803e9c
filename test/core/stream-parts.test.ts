import { expect } from "chai";
import { defineService, stream } from "../../packages/ferry/src/core/definition.js";
import { InvalidArgumentError } from "../../packages/ferry/src/core/errors.js";
import { ItemQueue } from "../../packages/ferry/src/core/stream/item-queue.js";
import { checkStreamWindow } from "../../packages/ferry/src/core/stream/stream-window.js";

describe("stream parts", () => {
  it("stream() refuses retries, idempotent and durable from plain JavaScript, naming the option", () => {
    for (const option of ["retries", "idempotent", "durable"]) {
      expect(() => stream({ [option]: option === "retries" ? 2 : true } as never), option).to.throw(InvalidArgumentError, `stream(): ${option} has no meaning on a stream`);
    }
  });

  it("defineService keeps a stream method's kind, key path and timeout", () => {
    const History = defineService("History", { rows: stream<{ customer: string }, { n: number }>({ keyPath: "customer", timeoutMs: 2_000 }) });
    expect(History.methods.rows).to.include({ kind: "stream", service: "History", name: "rows", keyPath: "customer", timeoutMs: 2_000 });
    expect(History.methods.rows.keyOf?.({ customer: "ada" })).to.equal("ada");
  });

  it("checks a window: a whole number from 1 to 1024", () => {
    expect(checkStreamWindow(1, "window")).to.equal(1);
    expect(checkStreamWindow(1_024, "window")).to.equal(1_024);
    for (const window of [0, -1, 1.5, 1_025, Number.NaN, "8", undefined]) {
      expect(() => checkStreamWindow(window, "window"), String(window)).to.throw(InvalidArgumentError, "window must be a whole number of items from 1 to 1024");
    }
  });

  it("an item queue hands items back in order across its compactions", () => {
    const queue = new ItemQueue<number>();
    const taken: number[] = [];
    let next = 0;
    // Push three, take two, many times over: the taken prefix is dropped again and again.
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 3; i++) queue.push(next++);
      for (let i = 0; i < 2; i++) taken.push(queue.shift());
    }
    expect(queue.size).to.equal(200);
    while (!queue.isEmpty) taken.push(queue.shift());
    expect(taken).to.deep.equal([...Array(600).keys()]);
    queue.push(7);
    queue.clear();
    expect(queue.isEmpty).to.equal(true);
  });
});
