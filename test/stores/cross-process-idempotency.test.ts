import { expect } from "chai";
import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { connect } from "../../packages/ferry/src/connect.js";
import type { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { startBrokerProcess, type BrokerProcess } from "../support/broker-process.js";
import { deleteRedisPrefix, postgresUrl, redisUrl, testSchema } from "./databases.js";
import { Payments, type PaymentsServerPlan } from "./payments-service.js";

const script = fileURLToPath(new URL("./payments-server-child.js", import.meta.url));
const calls = 10_000;
const inFlight = 200;
const attemptTimeoutMs = 250;

async function startServer(plan: PaymentsServerPlan): Promise<{ stop(): Promise<void> }> {
  const child: ChildProcess = fork(script, [JSON.stringify(plan)], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`a payments server exited with ${code} before serving`)));
  });
  return {
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * 10,000 calls, each retried when its attempt (250 ms) times out, against two server processes
 * on one TCP broker that share an idempotency store. One call in ten holds its handler 600 ms,
 * so its retries reach a server while the first run is in flight, in the same process or the
 * other: they join it, or replay it once done. Each handler run is counted in the database.
 */
async function raceRetriedCalls(broker: BrokerProcess, plan: PaymentsServerPlan): Promise<void> {
  const servers = [await startServer(plan), await startServer(plan)];
  const client: Ferry = await connect({ url: broker.url });
  try {
    let next = 0;
    const replies: number[] = [];
    const worker = async (): Promise<void> => {
      while (next < calls) {
        const order = next++;
        const holdMs = order % 10 === 0 ? 600 : 0;
        const reply = await client.call(Payments.methods.charge, { order, holdMs }, { idempotencyKey: `order-${order}`, timeoutMs: attemptTimeoutMs, retries: 30, backoff: { initialMs: 20, maxMs: 200 } });
        replies.push(reply.order);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    expect(replies.length).to.equal(calls);
    expect(new Set(replies).size).to.equal(calls);
  } finally {
    await client.close();
    for (const server of servers) await server.stop();
  }
}

describe("idempotency shared between server processes", function () {
  this.timeout(300_000);
  let broker: BrokerProcess;
  before(async () => {
    broker = await startBrokerProcess();
  });
  after(() => broker.stop());

  it("runs each of 10,000 retried calls once on Redis", async () => {
    const namespace = `ferry-test:${randomUUID()}:`;
    const redis = new Redis(redisUrl);
    try {
      await raceRetriedCalls(broker, { brokerUrl: broker.url, store: "redis", redisUrl, postgresUrl, namespace });
      const runs = await redis.hgetall(`${namespace}runs`);
      expect(Object.keys(runs).length).to.equal(calls);
      expect(Object.entries(runs).filter(([, count]) => count !== "1")).to.deep.equal([]);
    } finally {
      await deleteRedisPrefix(redis, namespace);
      redis.disconnect();
    }
  });

  it("runs each of 10,000 retried calls once on PostgreSQL", async () => {
    const db = await testSchema("cross_process");
    try {
      await db.pool.query(`CREATE TABLE "${db.schema}".runs (run_order int NOT NULL)`);
      await raceRetriedCalls(broker, { brokerUrl: broker.url, store: "postgres", redisUrl, postgresUrl, namespace: db.schema });
      const total = await db.pool.query(`SELECT count(*)::int AS runs, count(DISTINCT run_order)::int AS orders FROM "${db.schema}".runs`);
      expect(total.rows[0]).to.deep.equal({ runs: calls, orders: calls });
    } finally {
      await db.drop();
    }
  });
});
