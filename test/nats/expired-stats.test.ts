import { expect } from "chai";
import { NatsTransport } from "../../packages/ferry/src/transports/nats/nats-transport.js";
import { useNatsServer } from "../support/nats-server.js";
import { until } from "../support/wait.js";

describe("NATS durable mode: requests dropped for their deadline", function () {
  const natsUrl = useNatsServer();
  const opened: NatsTransport[] = [];
  afterEach(async () => {
    for (const transport of opened.reverse()) await transport.close();
    opened.length = 0;
  });

  async function transport(): Promise<NatsTransport> {
    const connected = await NatsTransport.connect({ url: natsUrl(), mode: "durable", prefix: "expiredstats" });
    opened.push(connected);
    return connected;
  }

  it("counts each one as expired, on its partition, in the stats of the transport whose member dropped it", async () => {
    const producer = await transport();
    const consumer = await transport();
    await producer.declareTopic("expiring", { partitions: 2 });
    const now = Date.now();
    // Queued before any member joins: the member meets them in order, the expired ones first.
    await producer.publish("expiring", new Uint8Array([1]), { key: "k", expiresAt: now - 1 });
    await producer.publish("expiring", new Uint8Array([2]), { expiresAt: now - 1 });
    await producer.publish("expiring", new Uint8Array([3]), { key: "k", expiresAt: now + 60_000 });
    await producer.publish("expiring", new Uint8Array([4]), { expiresAt: now + 60_000 });
    const received: number[] = [];
    await consumer.consume("expiring", "g", (delivery) => {
      received.push(delivery.bytes[0]!);
      delivery.ack();
    });
    await until(() => received.length === 2, "the two live messages");
    expect(received.sort()).to.deep.equal([3, 4]);

    const group = (await consumer.stats()).topics.find((t) => t.name === "expiring")!.groups.find((g) => g.group === "g")!;
    const expired = new Map(group.partitions.map((p) => [p.partition, p.expired]));
    // Key "k" hashes to one of the two partitions; the unkeyed lane reports as partition 2.
    const keyed = [0, 1].map((p) => expired.get(p));
    expect(keyed.sort()).to.deep.equal([0, 1]);
    expect(expired.get(2)).to.equal(1);
  });
});
