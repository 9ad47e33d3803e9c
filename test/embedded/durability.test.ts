import { expect } from "chai";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Delivery } from "../../packages/ferry/src/core/transport.js";
import { Broker } from "../../packages/ferry/src/broker/broker.js";
import { BrokerStorage, type BrokerStorageOptions } from "../../packages/ferry/src/broker/storage/broker-storage.js";
import { until } from "../support/wait.js";

describe("durable topics", () => {
  let dataDir: string;
  let reports: string[];
  const open: Broker[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "ferry-durable-"));
    reports = [];
  });
  afterEach(async () => {
    for (const broker of open.splice(0)) await broker.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function start(options: Partial<BrokerStorageOptions> = {}): Broker {
    const storage = new BrokerStorage({ dataDir, report: (line) => reports.push(line), ...options }, 1024 * 1024);
    const broker = new Broker({ storage });
    open.push(broker);
    return broker;
  }

  async function restart(broker: Broker, options: Partial<BrokerStorageOptions> = {}): Promise<Broker> {
    open.splice(open.indexOf(broker), 1);
    await broker.shutdown();
    return start(options);
  }

  /** Joins `group` and collects deliveries, acking those `ack` approves. */
  function collect(broker: Broker, topic: string, ack: (value: number) => boolean = () => true): Delivery[] {
    const seen: Delivery[] = [];
    broker.join(topic, "g", (delivery) => {
      seen.push(delivery);
      if (ack(delivery.bytes[0]!)) delivery.ack();
    }, { prefetch: 100, ordered: true });
    return seen;
  }

  it("keeps confirmed messages through a restart", async () => {
    let broker = start();
    broker.declareTopic("orders", { durable: true, partitions: 2 });
    for (let i = 0; i < 10; i++) await broker.publish("orders", new Uint8Array([i]), { key: `k${i}` });
    broker = await restart(broker);
    const seen = collect(broker, "orders");
    await until(() => seen.length === 10, "10 deliveries");
    expect(seen.map((d) => d.bytes[0]).sort((a, b) => a! - b!)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seen.find((d) => d.bytes[0] === 3)!.key).to.equal("k3");
  });

  it("redelivers after a restart exactly what the group had not acknowledged, out-of-order acks included", async () => {
    let broker = start();
    broker.declareTopic("jobs", { durable: true, partitions: 1 });
    for (let i = 0; i < 6; i++) await broker.publish("jobs", new Uint8Array([i]));
    const first = collect(broker, "jobs", (value) => value % 2 === 0); // ack 0, 2, 4; hold 1, 3, 5
    await until(() => first.length === 6, "6 deliveries");
    broker = await restart(broker);
    const second = collect(broker, "jobs");
    await until(() => second.length === 3, "3 redeliveries");
    expect(second.map((d) => d.bytes[0])).to.deep.equal([1, 3, 5]);
    broker = await restart(broker);
    const third = collect(broker, "jobs");
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(third).to.have.length(0);
  });

  it("truncates a torn tail on recovery, reports it, and keeps every record before it", async () => {
    let broker = start();
    broker.declareTopic("t", { durable: true, partitions: 1 });
    for (let i = 0; i < 3; i++) await broker.publish("t", new Uint8Array([i]));
    await broker.shutdown();
    open.splice(0);
    const segmentDir = join(dataDir, "topics", "t", "0");
    const segment = join(segmentDir, readdirSync(segmentDir)[0]!);
    appendFileSync(segment, Buffer.from([0x00, 0x00, 0x00, 0x40, 0x12, 0x34])); // a record header cut short by a crash
    broker = start();
    expect(reports.some((line) => line.includes("torn") && line.includes("truncated 6 bytes"))).to.equal(true);
    const seen = collect(broker, "t");
    await until(() => seen.length === 3, "3 deliveries");
    await broker.publish("t", new Uint8Array([3]));
    await until(() => seen.length === 4, "a new message after the truncation");
  });

  it("never serves a record whose CRC fails", async () => {
    let broker = start();
    broker.declareTopic("t", { durable: true, partitions: 1 });
    for (let i = 0; i < 3; i++) await broker.publish("t", new Uint8Array([10 + i]));
    await broker.shutdown();
    open.splice(0);
    const segmentDir = join(dataDir, "topics", "t", "0");
    const segment = join(segmentDir, readdirSync(segmentDir)[0]!);
    const bytes = readFileSync(segment);
    const recordLength = 8 + bytes.readUInt32BE(0);
    const at = recordLength + recordLength - 1; // the second record's last byte
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(segment, bytes);
    broker = start();
    expect(reports.some((line) => line.includes("CRC mismatch"))).to.equal(true);
    const seen = collect(broker, "t");
    await until(() => seen.length === 1, "the intact record");
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.map((d) => d.bytes[0])).to.deep.equal([10]);
  });

  it("does not let an ack journaled ahead of a lost record hide a new message with its offset", async () => {
    let broker = start();
    broker.declareTopic("t", { durable: true, partitions: 1 });
    await broker.publish("t", new Uint8Array([1]));
    const first = collect(broker, "t");
    await until(() => first.length === 1, "the delivery");
    await broker.shutdown();
    open.splice(0);
    // As if the crash lost the record but not its ack: the segment is empty, the journal is not.
    const segmentDir = join(dataDir, "topics", "t", "0");
    writeFileSync(join(segmentDir, readdirSync(segmentDir)[0]!), Buffer.alloc(0));
    broker = start();
    await broker.publish("t", new Uint8Array([2]));
    const second = collect(broker, "t");
    await until(() => second.length === 1, "the new message");
    expect(second[0]!.bytes[0]).to.equal(2);
  });

  it("forgets acks of offsets past a truncated segment, so new messages at those offsets are delivered after any restart", async () => {
    let broker = start();
    broker.declareTopic("t", { durable: true, partitions: 1 });
    for (let i = 0; i < 4; i++) await broker.publish("t", new Uint8Array([i]));
    const first = collect(broker, "t");
    await until(() => first.length === 4, "4 deliveries");
    await broker.shutdown();
    open.splice(0);
    const segmentDir = join(dataDir, "topics", "t", "0");
    const segment = join(segmentDir, readdirSync(segmentDir)[0]!);
    const bytes = readFileSync(segment);
    const recordLength = 8 + bytes.readUInt32BE(0);
    bytes[2 * recordLength + 8] = bytes[2 * recordLength + 8]! ^ 0xff; // the third record: offsets 2 and 3 are cut off
    writeFileSync(segment, bytes);
    broker = start();
    await broker.publish("t", new Uint8Array([20]));
    await broker.publish("t", new Uint8Array([30]));
    broker = await restart(broker);
    broker = await restart(broker);
    const second = collect(broker, "t");
    await until(() => second.length === 2, "the 2 new messages");
    expect(second.map((d) => [d.offset, d.bytes[0]])).to.deep.equal([[2, 20], [3, 30]]);
    expect(reports.some((line) => line.includes("dropped acks of offsets past the recovered segments"))).to.equal(true);
  });

  it("keeps acks journaled after a damaged tail of the ack journal", async () => {
    let broker = start();
    broker.declareTopic("t", { durable: true, partitions: 1 });
    await broker.publish("t", new Uint8Array([1]));
    const first = collect(broker, "t");
    await until(() => first.length === 1, "the first delivery");
    await broker.shutdown();
    open.splice(0);
    appendFileSync(join(dataDir, "topics", "t", "acks.log"), Buffer.from([0x00, 0x00, 0x00, 0x40, 0x12])); // a torn record
    broker = start();
    await broker.publish("t", new Uint8Array([2]));
    const second = collect(broker, "t");
    await until(() => second.length === 1, "the second delivery");
    expect(second[0]!.bytes[0]).to.equal(2);
    broker = await restart(broker);
    const third = collect(broker, "t");
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(third).to.have.length(0);
  });

  it("makes a topic nobody declared durable on its first durable publish", async () => {
    let broker = start();
    const confirm = broker.publish("early", new Uint8Array([7]), { durable: true });
    expect(confirm).to.be.instanceOf(Promise);
    await confirm;
    broker = await restart(broker);
    const seen = collect(broker, "early");
    await until(() => seen.length === 1, "the durable message");
    expect(seen[0]!.bytes[0]).to.equal(7);
  });

  it("makes a memory topic durable on a durable publish, with what it held and what its groups had settled", async () => {
    let broker = start();
    broker.declareTopic("mixed", { partitions: 1 });
    for (const value of [1, 2, 3]) expect(broker.publish("mixed", new Uint8Array([value]))).to.equal(undefined);
    const first = collect(broker, "mixed", (value) => value === 1); // settles 1, holds 2 and 3
    await until(() => first.length === 3, "3 deliveries");
    await broker.publish("mixed", new Uint8Array([4]), { durable: true });
    broker = await restart(broker);
    const second = collect(broker, "mixed");
    await until(() => second.length === 3, "3 deliveries after the restart");
    expect(second.map((d) => d.bytes[0])).to.deep.equal([2, 3, 4]);
  });

  it("keeps the options declared last on a durable topic through a restart", async () => {
    let broker = start();
    await broker.publish("declared-late", new Uint8Array([1]), { durable: true });
    broker.declareTopic("declared-late", { maxDeliveries: 2 });
    broker = await restart(broker);
    const seen = collect(broker, "declared-late");
    await until(() => seen.length === 1, "the message");
    expect(seen[0]!.maxDeliveries).to.equal(2);
  });

  it("recovers a topic holding a message of the largest size", async () => {
    let broker = start();
    broker.declareTopic("big", { durable: true, partitions: 1 });
    await broker.publish("big", new Uint8Array(1024 * 1024).fill(7));
    broker = await restart(broker);
    const seen = collect(broker, "big");
    await until(() => seen.length === 1, "the large message");
    expect(seen[0]!.bytes.length).to.equal(1024 * 1024);
  });

  it("keeps messages dropped by drop-oldest dropped after a restart", async () => {
    let broker = start();
    broker.declareTopic("lossy", { durable: true, partitions: 1, maxLength: 2, overflow: "drop-oldest" });
    for (const value of [1, 2, 3]) await broker.publish("lossy", new Uint8Array([value]));
    broker = await restart(broker);
    const seen = collect(broker, "lossy");
    await until(() => seen.length === 2, "two messages");
    expect(seen.map((d) => d.bytes[0])).to.deep.equal([2, 3]);
  });

  it("deletes segments once every group has acknowledged them", async () => {
    const broker = start({ segmentBytes: 64 });
    broker.declareTopic("t", { durable: true, partitions: 1 });
    const seen = collect(broker, "t");
    for (let i = 0; i < 20; i++) await broker.publish("t", new Uint8Array(40).fill(i));
    await until(() => seen.length === 20, "20 deliveries");
    const segments = readdirSync(join(dataDir, "topics", "t", "0"));
    expect(segments.length).to.be.at.most(2);
  });

  it("confirms a durable publish only once it is written, under every fsync policy", async () => {
    for (const fsync of ["always", "interval", "never"] as const) {
      const broker = start({ fsync });
      broker.declareTopic(`t-${fsync}`, { durable: true, partitions: 1 });
      const confirm = broker.publish(`t-${fsync}`, new Uint8Array([1]));
      expect(confirm).to.be.instanceOf(Promise);
      await confirm;
      const segmentDir = join(dataDir, "topics", `t-${fsync}`, "0");
      expect(readFileSync(join(segmentDir, readdirSync(segmentDir)[0]!)).length).to.be.greaterThan(8);
    }
  });
});
