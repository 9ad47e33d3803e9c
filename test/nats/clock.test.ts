import { expect } from "chai";
import type { Clock } from "../../packages/ferry/src/core/clock.js";
import { NatsMode } from "../../packages/ferry/src/transports/nats/nats-options.js";
import { NatsTransport } from "../../packages/ferry/src/transports/nats/nats-transport.js";
import { recheckDurableMs } from "../../packages/ferry/src/transports/nats/topic-durability.js";
import { fakeClock } from "../support/fake-clock.js";
import { useNatsServer } from "../support/nats-server.js";
import { until } from "../support/wait.js";

describe("NATS transport: time is read from the clock it is given", function () {
  const natsUrl = useNatsServer();
  let tests = 0;
  let prefix = "";
  const opened: NatsTransport[] = [];
  beforeEach(() => {
    prefix = `clock${++tests}`;
  });
  afterEach(async () => {
    for (const transport of opened.reverse()) await transport.close();
    opened.length = 0;
  });

  async function transport(mode: NatsMode, clock?: Clock): Promise<NatsTransport> {
    const connected = await NatsTransport.connect({ url: natsUrl(), prefix, mode, ...(clock === undefined ? {} : { clock }) });
    opened.push(connected);
    return connected;
  }

  /** Publishes durable requests with these deadlines, then lets a member on `clock` take them: what it ran, and what it dropped as expired. */
  async function consumeOn(clock: Clock, deadlines: number[]): Promise<{ ran: number[]; expired: () => Promise<number> }> {
    const producer = await transport(NatsMode.Durable);
    const consumer = await transport(NatsMode.Durable, clock);
    await producer.declareTopic("requests", { partitions: 1 });
    for (const [index, expiresAt] of deadlines.entries()) await producer.publish("requests", new Uint8Array([index]), { expiresAt });
    const ran: number[] = [];
    await consumer.consume("requests", "workers", (delivery) => {
      ran.push(delivery.bytes[0]!);
      delivery.ack();
    });
    const expired = async () =>
      (await consumer.stats()).topics.find((topic) => topic.name === "requests")!.groups[0]!.partitions.reduce((sum, partition) => sum + partition.expired, 0);
    return { ran, expired };
  }

  it("drops a durable request as expired once the clock is past its deadline, though the system's time is not", async () => {
    const now = Date.now();
    const { ran, expired } = await consumeOn(fakeClock(now + 60_000), [now + 30_000, now + 90_000]);
    await until(async () => ran.length === 1 && (await expired()) === 1, "one run and one expiry");
    expect(ran).to.deep.equal([1]);
  });

  it("runs a durable request whose deadline the system's time has passed while the clock has not", async () => {
    const now = Date.now();
    const { ran, expired } = await consumeOn(fakeClock(now - 60_000), [now - 1_000]);
    await until(() => ran.length === 1, "the run");
    expect(ran).to.deep.equal([0]);
    expect(await expired()).to.equal(0);
  });

  it("asks again whether a topic found without a stream has one once the clock has moved on by recheckDurableMs", async () => {
    const clock = fakeClock();
    const producer = await transport(NatsMode.Core, clock);
    const server = await transport(NatsMode.Core);
    const stored = async () => (await server.stats()).topics.find((topic) => topic.name === "jobs")?.partitions.reduce((sum, p) => sum + p.depth, 0) ?? 0;
    // No stream yet: the producer finds the topic core and publishes there (to nobody).
    await producer.publish("jobs", new Uint8Array([1]));
    await server.declareTopic("jobs", { durable: true });
    await clock.tick(recheckDurableMs - 1);
    await producer.publish("jobs", new Uint8Array([2]));
    expect(await stored(), "published while the producer's answer was fresh").to.equal(0);
    await clock.tick(1);
    await producer.publish("jobs", new Uint8Array([3]));
    expect(await stored(), "published once the producer's answer was recheckDurableMs old").to.equal(1);
  });
});
