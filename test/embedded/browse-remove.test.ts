import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../packages/ferry/src/broker/broker.js";
import { BrokerStorage } from "../../packages/ferry/src/broker/storage/broker-storage.js";
import { InvalidArgumentError } from "../../packages/ferry/src/core/errors.js";
import type { Delivery } from "../../packages/ferry/src/core/transport.js";
import { startBroker } from "../../packages/ferry/src/broker/server/broker-server.js";
import { TcpTransport } from "../../packages/ferry/src/transports/tcp/tcp-transport.js";
import { fakeClock } from "../support/fake-clock.js";
import { rejection, turn, until } from "../support/wait.js";

/** `Transport.browse` and `remove` on the embedded broker: what the dead-letter tool stands on. */
describe("embedded broker: browse and remove", () => {
  let dataDir: string;
  const open: Broker[] = [];
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "ferry-browse-"));
  });
  afterEach(async () => {
    for (const broker of open.splice(0)) await broker.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function start(): Broker {
    const broker = new Broker({ storage: new BrokerStorage({ dataDir }, 1024 * 1024) });
    open.push(broker);
    return broker;
  }

  const values = (broker: Broker, topic: string): number[] => broker.browse(topic, { limit: 100 }).messages.map((message) => message.bytes[0]!);

  it("reads every partition in pages without consuming, and a topic that does not exist as empty", async () => {
    const broker = start();
    broker.declareTopic("jobs", { partitions: 2 });
    for (let i = 0; i < 5; i++) await broker.publish("jobs", Uint8Array.of(i));
    const first = broker.browse("jobs", { limit: 3 });
    expect(first.messages.map((message) => message.id)).to.deep.equal(["0:0", "0:1", "0:2"]);
    const second = broker.browse("jobs", { limit: 3, after: first.next! });
    expect(second.messages.map((message) => message.id)).to.deep.equal(["1:0", "1:1"]);
    expect(second.next).to.equal(undefined);
    expect(broker.browse("nothing", { limit: 3 })).to.deep.equal({ messages: [], next: undefined });
    expect(broker.stats().topics.find((topic) => topic.name === "jobs")!.partitions.map((p) => p.depth)).to.deep.equal([3, 2]);
  });

  it("removes by id: no group is given a removed message, and depth counts only what is left", async () => {
    const broker = start();
    broker.declareTopic("jobs", { partitions: 1 });
    for (let i = 0; i < 4; i++) await broker.publish("jobs", Uint8Array.of(i));
    expect(await broker.remove("jobs", ["0:1", "0:3", "0:3", "0:9"])).to.equal(2);
    expect(values(broker, "jobs")).to.deep.equal([0, 2]);
    expect(broker.stats().topics[0]!.partitions[0]!.depth).to.equal(2);
    const seen: Delivery[] = [];
    broker.join("jobs", "g", (delivery) => (seen.push(delivery), delivery.ack()), { prefetch: 10, ordered: true });
    await until(() => seen.length === 2, "two deliveries");
    expect(seen.map((delivery) => delivery.bytes[0])).to.deep.equal([0, 2]);
  });

  /** Joins a group that nacks `nacked` once with a delay, holds `held` unacknowledged, and acks the rest. */
  function consumer(broker: Broker, nacked: number, held: number): { seen: number[]; holding: Delivery[] } {
    const seen: number[] = [];
    const holding: Delivery[] = [];
    broker.join("jobs", "g", (delivery) => {
      const value = delivery.bytes[0]!;
      seen.push(value);
      if (value === nacked) delivery.nack({ delayMs: 1_000 });
      else if (value === held) holding.push(delivery);
      else delivery.ack();
    }, { prefetch: 10, ordered: false });
    return { seen, holding };
  }

  const lag = (broker: Broker): number => broker.stats().topics[0]!.groups[0]!.partitions[0]!.lag;

  for (const [where, held] of [["at the head of the log", -1], ["in the middle of the log", 6]] as const) {
    it(`does not deliver again a removed message that was waiting for its redelivery, ${where}`, async () => {
      const clock = fakeClock();
      const broker = new Broker({ clock });
      open.push(broker);
      broker.declareTopic("jobs", { partitions: 1 });
      for (const value of [6, 7, 8]) broker.publish("jobs", Uint8Array.of(value));
      const { seen, holding } = consumer(broker, 7, held);
      await until(() => seen.length === 3, "three deliveries");
      expect(await broker.remove("jobs", ["0:1"])).to.equal(1);
      await clock.tick(1_000);
      for (let i = 0; i < 10; i++) await turn();
      expect(seen).to.deep.equal([6, 7, 8]);
      for (const delivery of holding) delivery.ack();
      expect(lag(broker)).to.equal(0);
    });
  }

  it("keeps a durable topic's removals through a restart", async () => {
    let broker = start();
    broker.declareTopic("jobs.dlq", { partitions: 1, durable: true });
    for (let i = 0; i < 5; i++) await broker.publish("jobs.dlq", Uint8Array.of(i));
    expect(await broker.remove("jobs.dlq", ["0:0", "0:2"])).to.equal(2);
    open.splice(0);
    await broker.shutdown();
    broker = start();
    expect(values(broker, "jobs.dlq")).to.deep.equal([1, 3, 4]);
    expect(broker.stats().topics[0]!.partitions[0]!.depth).to.equal(3);
    // And through a second restart, after the journal was rewritten on recovery.
    await broker.remove("jobs.dlq", ["0:3"]);
    open.splice(0);
    await broker.shutdown();
    expect(values(start(), "jobs.dlq")).to.deep.equal([1, 4]);
  });

  it("refuses an id it did not give, and a bad limit, with InvalidArgumentError", () => {
    const broker = start();
    expect(() => broker.remove("jobs", ["7"])).to.throw(InvalidArgumentError, 'message id "7" is not <partition>:<offset>');
    expect(() => broker.browse("jobs", { limit: 0 })).to.throw(InvalidArgumentError, "browse limit must be a positive integer");
    expect(() => broker.browse("jobs", { limit: 1, after: "x" })).to.throw(InvalidArgumentError);
  });

  it("browses and removes over TCP as in the broker, and refuses a bad id with InvalidArgumentError", async () => {
    const running = await startBroker({ port: 0, log: () => undefined });
    const transport = await TcpTransport.connect({ url: running.url });
    try {
      await transport.declareTopic("jobs", { partitions: 1 });
      for (let i = 0; i < 3; i++) await transport.publish("jobs", Uint8Array.of(i), { key: `k${i}` });
      const page = await transport.browse("jobs", { limit: 2 });
      expect(page.messages.map(({ id, key, bytes }) => [id, key, bytes[0]])).to.deep.equal([["0:0", "k0", 0], ["0:1", "k1", 1]]);
      expect(page.next).to.equal("0:1");
      expect((await transport.browse("jobs", { limit: 2, after: page.next! })).next).to.equal(undefined);
      expect(await transport.remove("jobs", ["0:0"])).to.equal(1);
      expect((await transport.browse("jobs", { limit: 5 })).messages.map((message) => message.id)).to.deep.equal(["0:1", "0:2"]);
      const error = await rejection(transport.remove("jobs", ["zero"]));
      expect(error).to.be.instanceOf(InvalidArgumentError);
      expect(error.message).to.include('message id "zero" is not <partition>:<offset>');
      expect((await transport.browse("nothing", { limit: 1 })).messages).to.deep.equal([]);
    } finally {
      await transport.close();
      await running.close();
    }
  });
});
