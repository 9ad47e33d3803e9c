import { expect } from "chai";
import { defineService, method } from "../../packages/ferry/src/core/definition.js";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { NatsKvIdempotencyStore } from "../../packages/ferry/src/transports/nats/kv-idempotency-store.js";
import { NatsTransport } from "../../packages/ferry/src/transports/nats/nats-transport.js";
import { lossy } from "../support/lossy-transport.js";
import { useNatsServer } from "../support/nats-server.js";
import { rejection, until } from "../support/wait.js";

const Payments = defineService("Payments", {
  charge: method<{ account: string; cents: number }, { receipt: string }>({ idempotent: true }),
});

describe("NatsKvIdempotencyStore", function () {
  const natsUrl = useNatsServer();
  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const item of opened.reverse()) await item.close();
    opened.length = 0;
  });

  async function instance(name: string, runs: string[], loseReplies = 0): Promise<Ferry> {
    const transport = await NatsTransport.connect({ url: natsUrl(), prefix: "kv" });
    const store = await NatsKvIdempotencyStore.open(transport.nc, { bucket: "kv_idempotency" });
    const ferry = new Ferry(lossy(transport, { replies: loseReplies }));
    await ferry.start();
    await ferry.serve(Payments, { charge: () => (runs.push(name), { receipt: `${name}-${runs.length}` }) }, { idempotencyStore: store });
    opened.push(ferry);
    return ferry;
  }

  async function client(): Promise<Ferry> {
    const ferry = new Ferry(await NatsTransport.connect({ url: natsUrl(), prefix: "kv" }));
    await ferry.start();
    opened.push(ferry);
    return ferry;
  }

  /** Closes `ferry` now, so that whatever comes next can only reach the other instance. */
  async function leave(ferry: Ferry): Promise<void> {
    await ferry.close();
    opened.splice(opened.indexOf(ferry), 1);
  }

  it("replays the first reply to a retry delivered to the other instance", async () => {
    const runs: string[] = [];
    // The first instance runs the call alone, and its reply is lost on the way back.
    const first = await instance("first", runs, 1);
    const caller = await client();
    const call = caller.call(Payments.methods.charge, { account: "acct-1", cents: 500 }, { idempotencyKey: "order-42", timeoutMs: 2_000, retries: 5, backoff: { initialMs: 100, jitter: 0 } });
    await until(() => runs.length === 1, "the first run");
    // The retry, sent when the attempt times out, can only reach the second instance.
    await leave(first);
    const second = await instance("second", runs);
    expect(await call).to.deep.equal({ receipt: "first-1" });
    expect(runs).to.deep.equal(["first"]);
    expect((await second.stats()).servers["Payments#Payments"]).to.include({ replayed: 1, handled: 0 });
  });

  it("refuses the same key with a different request across instances", async () => {
    const runs: string[] = [];
    const a = await instance("a", runs);
    const caller = await client();
    await caller.call(Payments.methods.charge, { account: "x", cents: 1 }, { idempotencyKey: "k-mismatch" });
    await leave(a);
    const b = await instance("b", runs);
    const error = await rejection(caller.call(Payments.methods.charge, { account: "x", cents: 2 }, { idempotencyKey: "k-mismatch" }));
    expect(error.code).to.equal("IDEMPOTENCY_MISMATCH");
    expect(runs).to.deep.equal(["a"]);
    expect((await b.stats()).servers["Payments#Payments"]).to.include({ refused: 1, handled: 0 });
  });
});
