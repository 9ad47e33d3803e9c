import { expect } from "chai";
import { appendFile, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../packages/ferry/src/broker/broker.js";
import { connect } from "../../packages/ferry/src/connect.js";
import { currentContext } from "../../packages/ferry/src/core/context.js";
import type { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { FileOutbox } from "../../packages/ferry/src/core/outbox/file-outbox.js";
import { rejection, until } from "../support/wait.js";
import { Shipping } from "./outbox-service.js";

describe("FileOutbox", () => {
  let directory: string;
  let ferry: Ferry;
  let handled: { order: number; callId: string; idempotencyKey: string }[];
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), "ferry-file-outbox-"));
    handled = [];
    ferry = await connect({ broker: new Broker() });
    await ferry.serve(Shipping, {
      shipped: ({ order }) => void handled.push({ order, callId: currentContext()!.callId, idempotencyKey: currentContext()!.idempotencyKey }),
    });
  });
  afterEach(async () => {
    await ferry.close();
    await rm(directory, { recursive: true, force: true });
  });

  it("relays a sent message with the call id and idempotency key send returned, then empties its files", async () => {
    const outbox = await FileOutbox.open(directory);
    ferry.relayOutbox(outbox);
    const receipt = await outbox.send(Shipping.methods.shipped, { order: 1, customer: "ann" }, { idempotencyKey: "ship-1" });
    await until(() => handled.length === 1 && outbox.pending === 0, "the message handled");
    expect(handled[0]).to.deep.equal({ order: 1, callId: receipt.callId, idempotencyKey: "ship-1" });
    await until(async () => (await stat(join(directory, "outbox.log"))).size === 0, "the log emptied");
    await outbox.close();
  });

  it("relays at open what an earlier process sent and never relayed, in order", async () => {
    const first = await FileOutbox.open(directory);
    for (let order = 1; order <= 20; order++) await first.send(Shipping.methods.shipped, { order, customer: "ann" });
    await first.close();
    const second = await FileOutbox.open(directory);
    expect(second.pending).to.equal(20);
    ferry.relayOutbox(second);
    await until(() => handled.length === 20, "every message handled");
    expect(handled.map((row) => row.order)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
    await second.close();
  });

  it("drops a torn last record (a send that never resolved) and keeps the rest", async () => {
    const first = await FileOutbox.open(directory);
    await first.send(Shipping.methods.shipped, { order: 1, customer: "ann" });
    await first.close();
    await appendFile(join(directory, "outbox.log"), Buffer.from([0, 0, 1, 0, 0x93]));
    const second = await FileOutbox.open(directory);
    expect(second.pending).to.equal(1);
    await second.send(Shipping.methods.shipped, { order: 2, customer: "ann" });
    ferry.relayOutbox(second);
    await until(() => handled.length === 2, "both messages handled");
    expect(handled.map((row) => row.order)).to.deep.equal([1, 2]);
    await second.close();
  });

  it("refuses a send past maxBytes with QUEUE_FULL while nothing relays", async () => {
    const outbox = await FileOutbox.open(directory, { maxBytes: 600 });
    let error: Error & { code?: string } | undefined;
    for (let order = 0; order < 100 && error === undefined; order++) {
      error = await outbox.send(Shipping.methods.shipped, { order, customer: "ann" }).then(() => undefined, (failure: Error & { code?: string }) => failure);
    }
    expect(error?.code).to.equal("QUEUE_FULL");
    await outbox.close();
  });

  it("refuses an option of the wrong type, naming it", async () => {
    const error = await rejection(FileOutbox.open(directory, { maxBytes: "big" as unknown as number }));
    expect(error.code).to.equal("INVALID_ARGUMENT");
    expect(error.message).to.contain("maxBytes");
  });
});
