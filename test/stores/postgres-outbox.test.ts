import { expect } from "chai";
import { spawn } from "node:child_process";
import { Broker } from "../../packages/ferry/src/broker/broker.js";
import { connect } from "../../packages/ferry/src/connect.js";
import { currentContext } from "../../packages/ferry/src/core/context.js";
import type { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { PostgresOutbox } from "../../packages/ferry/src/postgres/postgres-outbox.js";
import { startBrokerProcess } from "../support/broker-process.js";
import { rejection, until } from "../support/wait.js";
import { cliPath } from "../codegen/support.js";
import { postgresUrl, testSchema } from "./databases.js";
import { customers, Shipping } from "./outbox-service.js";

describe("PostgresOutbox", function () {
  this.timeout(60_000);
  let db: Awaited<ReturnType<typeof testSchema>>;
  let ferry: Ferry;
  /** Each handled order, with the ids it arrived with, in arrival order. */
  let handled: { order: number; customer: string; callId: string; idempotencyKey: string }[];

  beforeEach(async () => {
    db = await testSchema("outbox");
    handled = [];
    ferry = await connect({ broker: new Broker() });
    await ferry.serve(Shipping, {
      shipped: ({ order, customer }) => {
        const context = currentContext()!;
        handled.push({ order, customer, callId: context.callId, idempotencyKey: context.idempotencyKey });
      },
    });
  });
  afterEach(async () => {
    await ferry.close();
    await db.drop();
  });

  /** Sends `orders` in one transaction, committed or rolled back. */
  async function inTransaction(outbox: PostgresOutbox, orders: number[], commit = true) {
    const tx = await db.pool.connect();
    try {
      await tx.query("BEGIN");
      const receipts = [];
      for (const order of orders) receipts.push(await outbox.send(tx, Shipping.methods.shipped, { order, customer: customers[order % customers.length]! }));
      await tx.query(commit ? "COMMIT" : "ROLLBACK");
      return receipts;
    } finally {
      tx.release();
    }
  }

  it("publishes a committed row with the call id and idempotency key send returned", async () => {
    const outbox = await PostgresOutbox.open(db.pool, { schema: db.schema });
    ferry.relayOutbox(outbox);
    const [receipt] = await inTransaction(outbox, [7]);
    await until(() => handled.length === 1, "the row handled");
    expect(handled[0]).to.deep.equal({ order: 7, customer: customers[2], callId: receipt!.callId, idempotencyKey: receipt!.idempotencyKey });
    expect(receipt!.idempotencyKey).to.equal(receipt!.callId);
    await until(async () => (await outbox.pending()) === 0, "the row marked sent");
  });

  it("sends nothing from a transaction that rolled back", async () => {
    const outbox = await PostgresOutbox.open(db.pool, { schema: db.schema });
    ferry.relayOutbox(outbox);
    await inTransaction(outbox, [1, 2, 3], false);
    await inTransaction(outbox, [4]);
    await until(() => handled.length === 1, "the committed row handled");
    await until(async () => (await outbox.pending()) === 0, "the row marked sent");
    expect(handled.map((row) => row.order)).to.deep.equal([4]);
  });

  it("keeps each key's order with three relays at once (SKIP LOCKED), and sends every row once", async () => {
    const outbox = await PostgresOutbox.open(db.pool, { schema: db.schema });
    const orders = Array.from({ length: 500 }, (_, i) => i);
    for (let i = 0; i < orders.length; i += 50) await inTransaction(outbox, orders.slice(i, i + 50));
    const relays = [1, 2, 3].map(() => ferry.relayOutbox(outbox, { batch: 20 }));
    await until(() => handled.length >= 500, "every row handled", 0, 50_000);
    await until(async () => (await outbox.pending()) === 0, "every row marked sent");
    expect(handled.map((row) => row.order).sort((a, b) => a - b)).to.deep.equal(orders);
    for (const customer of customers) {
      const sequence = handled.filter((row) => row.customer === customer).map((row) => row.order);
      expect(sequence).to.deep.equal([...sequence].sort((a, b) => a - b));
    }
    // A relay counts its round once the round is over, which is after its commit made the rows
    // sent: stopping each (it finishes the round under way) makes the counts final.
    await Promise.all(relays.map((relay) => relay.stop()));
    expect(relays.map((relay) => relay.stats().relayed).reduce((a, b) => a + b)).to.equal(500);
  });

  it("with notify: false, finds committed rows at its poll", async () => {
    const outbox = await PostgresOutbox.open(db.pool, { schema: db.schema, notify: false });
    const relay = ferry.relayOutbox(outbox, { pollMs: 50 });
    await inTransaction(outbox, [1, 2]);
    await until(() => handled.length === 2, "both rows handled");
    await relay.stop();
    await relay.stop(); // a second stop waits for the first, and gives nothing back twice
    expect(handled.map((row) => row.order)).to.deep.equal([1, 2]);
  });

  it("refuses a send without a client, naming what it got", async () => {
    const outbox = await PostgresOutbox.open(db.pool, { schema: db.schema });
    const error = await rejection(outbox.send(undefined as never, Shipping.methods.shipped, { order: 1, customer: "ann" }));
    expect(error.code).to.equal("INVALID_ARGUMENT");
  });

  it("is relayed by `ferry outbox relay`, which reports its count when stopped", async () => {
    const broker = await startBrokerProcess();
    const server = await connect({ url: broker.url });
    const orders: number[] = [];
    await server.serve(Shipping, { shipped: ({ order }) => void orders.push(order) });
    const outbox = await PostgresOutbox.open(db.pool, { schema: db.schema });
    const cli = spawn(process.execPath, [cliPath, "outbox", "relay", "--url", broker.url, "--database", postgresUrl, "--schema", db.schema, "--poll-ms", "100"], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    cli.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    const exited = new Promise((resolve) => cli.once("close", resolve));
    try {
      await inTransaction(outbox, [1, 2, 3, 4, 5]);
      await until(() => orders.length === 5, "the rows handled", 0, 30_000);
      await until(async () => (await outbox.pending()) === 0, "the rows marked sent");
      cli.kill("SIGTERM");
      expect(await exited).to.equal(0);
      expect(stdout).to.contain("relayed 5 rows");
      expect(orders.sort()).to.deep.equal([1, 2, 3, 4, 5]);
    } finally {
      cli.kill("SIGKILL");
      await server.close();
      await broker.stop();
    }
  });
});
