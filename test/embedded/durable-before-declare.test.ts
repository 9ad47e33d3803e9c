import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeEnvelope } from "../../packages/ferry/src/core/wire/envelope.js";
import { defineService, event, method } from "../../packages/ferry/src/core/definition.js";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { TcpTransport } from "../../packages/ferry/src/transports/tcp/tcp-transport.js";
import { startBrokerProcess, type BrokerProcess } from "../support/broker-process.js";
import { confirming } from "../support/confirming-transport.js";
import { freePort } from "../support/free-port.js";
import { until } from "../support/wait.js";

/** A service no server has declared yet: its durable methods must still be kept on disk. */
const Journal = defineService("EarlyJournal", {
  record: event<{ n: number }>({ durable: true }),
  /** Long enough that the calls are still within their deadline when a server comes. */
  post: method<{ n: number }, number>({ durable: true, timeoutMs: 120_000 }),
  /** Not durable: a publish of it makes the topic in memory first. */
  note: event<{ n: number }>(),
});

type Handled = Record<"record" | "post" | "note", number[]>;

describe("crash: durable publishes before any server declared the topic", function () {
  this.timeout(120_000);
  let dataDir: string;
  let port: number;
  let broker: BrokerProcess | undefined;
  const runtimes: Ferry[] = [];

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "ferry-early-"));
    port = await freePort();
    broker = await startBrokerProcess({ port, dataDir, fsync: "always" });
  });
  afterEach(async () => {
    for (const runtime of runtimes.splice(0)) await runtime.close();
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A client whose every confirmed publish is counted by method. */
  async function client(confirmed: Map<string, number>): Promise<Ferry> {
    const transport = await TcpTransport.connect({ url: `ferry://127.0.0.1:${port}`, reconnectInitialMs: 20, reconnectMaxMs: 200 });
    const ferry = new Ferry(confirming(transport, (bytes) => {
      const name = decodeEnvelope(bytes).method ?? "";
      confirmed.set(name, (confirmed.get(name) ?? 0) + 1);
    }));
    await ferry.start();
    runtimes.push(ferry);
    return ferry;
  }

  /** kill -9, restart on the same data directory, serve (declaring the topic with options), and collect. */
  async function crashThenServe(): Promise<Handled> {
    await broker!.kill();
    for (const runtime of runtimes.splice(0)) await runtime.close();
    broker = await startBrokerProcess({ port, dataDir, fsync: "always" });
    const handled: Handled = { record: [], post: [], note: [] };
    const server = new Ferry(await TcpTransport.connect({ url: broker.url }));
    await server.start();
    runtimes.push(server);
    await server.serve(Journal, {
      record: ({ n }: { n: number }) => void handled.record.push(n),
      post: ({ n }: { n: number }) => (handled.post.push(n), n),
      note: ({ n }: { n: number }) => void handled.note.push(n),
    }, { topic: { maxDeliveries: 3, ackTimeoutMs: 10_000 } });
    return handled;
  }

  const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
  const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

  it("keeps every confirmed durable event and call through a kill -9, and hands them to the first server", async () => {
    const confirmed = new Map<string, number>();
    const producer = await client(confirmed);
    for (const n of range(0, 200)) await producer.emit(Journal.methods.record, { n });
    const calls = range(1000, 50).map((n) => producer.call(Journal.methods.post, { n }).catch(() => undefined));
    await until(() => confirmed.get("post") === 50, "50 call publishes confirmed", 10_000);
    expect(confirmed.get("record")).to.equal(200);

    const handled = await crashThenServe();
    await Promise.all(calls);
    await until(() => handled.record.length + handled.post.length >= 250, "every confirmed publish handled", 10_000, 20_000);
    expect(sorted(handled.record)).to.deep.equal(range(0, 200));
    expect(sorted(handled.post)).to.deep.equal(range(1000, 50));
  });

  it("keeps durable publishes to a topic a non-durable publish made in memory first", async () => {
    const confirmed = new Map<string, number>();
    const producer = await client(confirmed);
    for (const n of range(0, 10)) await producer.emit(Journal.methods.note, { n });
    for (const n of range(100, 100)) await producer.emit(Journal.methods.record, { n });

    const handled = await crashThenServe();
    await until(() => handled.record.length >= 100, "every confirmed durable event handled", 10_000, 20_000);
    expect(sorted(handled.record)).to.deep.equal(range(100, 100));
    // The topic became durable with what it held: the earlier notes were written out before it.
    await until(() => handled.note.length >= 10, "the notes written out with the topic", 10_000, 20_000);
    expect(sorted(handled.note)).to.deep.equal(range(0, 10));
  });
});
