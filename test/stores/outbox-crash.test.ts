import { expect } from "chai";
import { fork, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "../../packages/ferry/src/connect.js";
import { currentContext } from "../../packages/ferry/src/core/context.js";
import type { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { PostgresOutbox } from "../../packages/ferry/src/postgres/postgres-outbox.js";
import { startBrokerProcess, type BrokerProcess } from "../support/broker-process.js";
import { freePort } from "../support/free-port.js";
import { until } from "../support/wait.js";
import { postgresUrl, testSchema } from "./databases.js";
import { Shipping, type OutboxChildPlan } from "./outbox-service.js";

const script = fileURLToPath(new URL("./outbox-child.js", import.meta.url));

/** An application process: resolves `sent` once every send of its plan resolved. */
function application(plan: OutboxChildPlan): { sent: Promise<void>; kill(): Promise<void> } {
  const child: ChildProcess = fork(script, [JSON.stringify(plan)], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const sent = new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code, signal) => reject(new Error(`the application exited (${code ?? signal}) before its sends resolved`)));
  });
  return {
    sent,
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/**
 * The brief's "write a log before the queue": an application killed with kill -9 between its
 * commit (or fsync) and the relay, or while the broker is down, delivers every committed message
 * exactly once after a restart, and nothing from a rolled-back transaction.
 */
describe("outbox across kill -9", function () {
  this.timeout(120_000);
  let port: number;
  let broker: BrokerProcess;
  let server: Ferry;
  /** Handler runs per order, and the order each customer's events arrived in. */
  let runs: Map<number, number>;
  let idempotencyKeys: Set<string>;

  beforeEach(async () => {
    port = await freePort();
    broker = await startBrokerProcess({ port });
    runs = new Map();
    idempotencyKeys = new Set();
    server = await connect({ url: broker.url });
    await server.serve(Shipping, {
      shipped: ({ order }) => {
        runs.set(order, (runs.get(order) ?? 0) + 1);
        idempotencyKeys.add(currentContext()!.idempotencyKey);
      },
    });
  });
  afterEach(async () => {
    await server.close();
    await broker.stop();
  });

  /** Waits until `count` orders from `first` ran, then checks each ran exactly once and nothing else did. */
  async function expectEachOnce(first: number, count: number): Promise<void> {
    await until(() => runs.size >= count, `${count} orders handled`, 0, 60_000);
    const expected = Array.from({ length: count }, (_, i) => [first + i, 1]);
    expect([...runs].sort(([a], [b]) => a - b)).to.deep.equal(expected);
    expect(idempotencyKeys.size).to.equal(count);
  }

  describe("PostgresOutbox", () => {
    let db: Awaited<ReturnType<typeof testSchema>>;
    beforeEach(async () => {
      db = await testSchema("outbox_crash");
    });
    afterEach(() => db.drop());

    it("delivers rows committed before a kill -9 once after the restart, and none rolled back", async () => {
      const writer = application({ kind: "postgres", postgresUrl, schema: db.schema, first: 1, count: 200, rolledBack: 20 });
      await writer.sent;
      await writer.kill();
      const outbox = await PostgresOutbox.open(db.pool, { schema: db.schema });
      expect(await outbox.pending()).to.equal(200);
      const restarted = application({ kind: "postgres", brokerUrl: broker.url, postgresUrl, schema: db.schema, first: 201, count: 0 });
      await expectEachOnce(1, 200);
      await until(async () => (await outbox.pending()) === 0, "every row marked sent", 0, 60_000);
      await restarted.kill();
      expect([...runs.keys()].filter((order) => order < 0)).to.deep.equal([]);
    });

    it("delivers rows committed while the broker was down once, after both are restarted", async () => {
      const app = application({ kind: "postgres", brokerUrl: broker.url, postgresUrl, schema: db.schema, first: 1, count: 0 });
      await app.sent;
      await broker.kill();
      // The relay keeps failing and backing off while these commit.
      const writer = application({ kind: "postgres", postgresUrl, schema: db.schema, first: 1, count: 150 });
      await writer.sent;
      await writer.kill();
      await app.kill();
      broker = await startBrokerProcess({ port });
      const restarted = application({ kind: "postgres", brokerUrl: broker.url, postgresUrl, schema: db.schema, first: 151, count: 50 });
      await restarted.sent;
      await expectEachOnce(1, 200);
      await restarted.kill();
    });

    it("loses nothing and runs nothing twice when the relaying application is killed mid-relay", async () => {
      const writer = application({ kind: "postgres", postgresUrl, schema: db.schema, first: 1, count: 1_000 });
      await writer.sent;
      await writer.kill();
      const first = application({ kind: "postgres", brokerUrl: broker.url, postgresUrl, schema: db.schema, first: 1_001, count: 0 });
      await until(() => runs.size >= 100, "a first part relayed", 0, 60_000);
      await first.kill();
      const second = application({ kind: "postgres", brokerUrl: broker.url, postgresUrl, schema: db.schema, first: 1_001, count: 0 });
      await expectEachOnce(1, 1_000);
      await second.kill();
    });
  });

  describe("FileOutbox", () => {
    let directory: string;
    beforeEach(async () => {
      directory = await mkdtemp(join(tmpdir(), "ferry-file-outbox-"));
    });
    afterEach(() => rm(directory, { recursive: true, force: true }));

    it("relays after a restart what was sent (fsynced) before a kill -9, once", async () => {
      const writer = application({ kind: "file", directory, first: 1, count: 300 });
      await writer.sent;
      await writer.kill();
      const restarted = application({ kind: "file", brokerUrl: broker.url, directory, first: 301, count: 0 });
      await expectEachOnce(1, 300);
      await restarted.kill();
    });

    it("relays what was sent while the broker was down, once both are back", async () => {
      const app = application({ kind: "file", brokerUrl: broker.url, directory, first: 1, count: 0 });
      await app.sent;
      await app.kill();
      await broker.kill();
      const writer = application({ kind: "file", directory, first: 1, count: 100 });
      await writer.sent;
      await writer.kill();
      broker = await startBrokerProcess({ port });
      const restarted = application({ kind: "file", brokerUrl: broker.url, directory, first: 101, count: 100 });
      await restarted.sent;
      await expectEachOnce(1, 200);
      await restarted.kill();
    });
  });
});
