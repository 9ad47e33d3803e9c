import { expect } from "chai";
import { defineService, method } from "../../core/definition.js";
import { Ferry } from "../../core/ferry.js";
import { NatsKvIdempotencyStore } from "../../transports/nats/kv-idempotency-store.js";
import { NatsTransport } from "../../transports/nats/nats-transport.js";
import { useNatsServer } from "../support/nats-server.js";

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

  async function instance(name: string, runs: string[]): Promise<Ferry> {
    const transport = await NatsTransport.connect({ url: natsUrl(), prefix: "kv" });
    const store = await NatsKvIdempotencyStore.open(transport.nc, { bucket: "kv_idempotency" });
    const ferry = new Ferry(transport);
    await ferry.start();
    await ferry.serve(Payments, { charge: () => (runs.push(name), { receipt: `${name}-${runs.length}` }) }, { idempotencyStore: store });
    opened.push(ferry);
    return ferry;
  }

  it("replays the first reply to a retry delivered to the other instance", async () => {
    const runs: string[] = [];
    const first = await instance("first", runs);
    await instance("second", runs);
    const client = new Ferry(await NatsTransport.connect({ url: natsUrl(), prefix: "kv" }));
    await client.start();
    opened.push(client);
    const request = { account: "acct-1", cents: 500 };
    const original = await client.call(Payments.methods.charge, request, { idempotencyKey: "order-42" });
    // Whoever ran it, take the first instance away: the retry can only land on the second.
    const ranOn = runs[0]!;
    await first.close();
    opened.splice(opened.indexOf(first), 1);
    const retry = await client.call(Payments.methods.charge, request, { idempotencyKey: "order-42" });
    expect(retry).to.deep.equal(original);
    expect(runs).to.deep.equal([ranOn]);
  });

  it("refuses the same key with a different request across instances", async () => {
    const runs: string[] = [];
    await instance("a", runs);
    await instance("b", runs);
    const client = new Ferry(await NatsTransport.connect({ url: natsUrl(), prefix: "kv" }));
    await client.start();
    opened.push(client);
    await client.call(Payments.methods.charge, { account: "x", cents: 1 }, { idempotencyKey: "k-mismatch" });
    const error = await client.call(Payments.methods.charge, { account: "x", cents: 2 }, { idempotencyKey: "k-mismatch" }).catch((e: unknown) => e as { code: string });
    expect((error as { code: string }).code).to.equal("IDEMPOTENCY_MISMATCH");
    expect(runs).to.have.length(1);
  });
});
