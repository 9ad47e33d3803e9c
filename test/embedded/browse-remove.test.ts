import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../packages/ferry/src/broker/broker.js";
import { BrokerStorage } from "../../packages/ferry/src/broker/storage/broker-storage.js";
import { InvalidArgumentError } from "../../packages/ferry/src/core/errors.js";
import type { Delivery } from "../../packages/ferry/src/core/transport.js";
import { until } from "../support/wait.js";

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
});
