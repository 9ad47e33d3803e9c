import { expect } from "chai";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Delivery } from "../../packages/ferry/src/core/transport.js";
import { TcpTransport } from "../../packages/ferry/src/transports/tcp/tcp-transport.js";
import { startBrokerProcess, type BrokerProcess } from "../support/broker-process.js";
import { freePort } from "../support/free-port.js";
import { until } from "../support/wait.js";

const topic = "ledger";

describe("crash: offsets reused after recovery truncated a damaged segment", function () {
  this.timeout(120_000);
  let dataDir: string;
  let port: number;
  let broker: BrokerProcess | undefined;
  const transports: TcpTransport[] = [];

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "ferry-truncated-"));
    port = await freePort();
  });
  afterEach(async () => {
    for (const transport of transports.splice(0)) await transport.close();
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function startAndConnect(): Promise<TcpTransport> {
    broker = await startBrokerProcess({ port, dataDir, fsync: "always" });
    const transport = await TcpTransport.connect({ url: broker.url });
    transports.push(transport);
    return transport;
  }

  async function stopBroker(how: "stop" | "kill"): Promise<void> {
    for (const transport of transports.splice(0)) await transport.close();
    await broker![how]();
  }

  /** Joins group `g`, acking every delivery; returns the values delivered so far. */
  async function consume(transport: TcpTransport): Promise<number[]> {
    const values: number[] = [];
    await transport.consume(topic, "g", (delivery: Delivery) => {
      values.push(Buffer.from(delivery.bytes).readUInt32BE(0));
      delivery.ack();
    }, { prefetch: 64 });
    return values;
  }

  async function lag(transport: TcpTransport): Promise<number> {
    const stats = await transport.stats();
    const group = stats.topics.find((t) => t.name === topic)?.groups.find((g) => g.group === "g");
    return group?.partitions.reduce((sum, partition) => sum + partition.lag, 0) ?? -1;
  }

  const value = (n: number) => {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(n);
    return bytes;
  };
  const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

  it("never counts a message at a reused offset as acknowledged, through any number of restarts", async () => {
    let transport = await startAndConnect();
    await transport.declareTopic(topic, { durable: true, partitions: 1 });
    for (const n of range(0, 400)) await transport.publish(topic, value(n));
    const first = await consume(transport);
    await until(() => first.length === 400, "400 deliveries", 10_000);
    // Stats are answered after the acks before them on the connection: every ack is journaled.
    await until(async () => (await lag(transport)) === 0, "every ack taken", 10_000);
    await stopBroker("stop");

    // Flip bytes in the middle of the segment: recovery keeps the records before them only.
    const segmentDir = join(dataDir, "topics", topic, "0");
    const segment = join(segmentDir, readdirSync(segmentDir)[0]!);
    const bytes = readFileSync(segment);
    const middle = Math.floor(bytes.length / 2);
    for (let i = 0; i < 4; i++) bytes[middle + i] = bytes[middle + i]! ^ 0xff;
    writeFileSync(segment, bytes);

    transport = await startAndConnect();
    expect(statSync(segment).size).to.be.below(bytes.length);
    // No consumer: these 400 wait in the topic, at offsets the truncated messages had.
    for (const n of range(1000, 400)) await transport.publish(topic, value(n));
    await stopBroker("kill");

    transport = await startAndConnect();
    const second = await consume(transport);
    await until(() => second.length >= 400, "the 400 new messages", 10_000, 20_000);
    expect([...second].sort((a, b) => a - b)).to.deep.equal(range(1000, 400));
    await until(async () => (await lag(transport)) === 0, "every ack taken", 10_000);
    // Stopped, not killed: an ack the broker took may still be on its way to the OS when killed.
    await stopBroker("stop");

    // And the restart after that redelivers nothing: every message was acknowledged once.
    transport = await startAndConnect();
    expect(await lag(transport)).to.equal(0);
  });
});
