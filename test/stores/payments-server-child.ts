// A server process for the cross-process idempotency test: serves Payments on the TCP broker with
// a shared idempotency store (Redis or PostgreSQL), and counts each handler run in that database,
// so the test can see a request that ran twice, whichever process ran it.
import { Redis } from "ioredis";
import pg from "pg";
import { connect } from "../../packages/ferry/src/connect.js";
import type { IdempotencyStore } from "../../packages/ferry/src/core/idempotency.js";
import { PostgresIdempotencyStore } from "../../packages/ferry/src/postgres/postgres-idempotency-store.js";
import { RedisIdempotencyStore } from "../../packages/ferry/src/redis/redis-idempotency-store.js";
import { Payments, type PaymentsServerPlan } from "./payments-service.js";

const plan = JSON.parse(process.argv[2]!) as PaymentsServerPlan;
let store: IdempotencyStore & { close(): Promise<void> };
let countRun: (order: number) => Promise<unknown>;
if (plan.store === "redis") {
  const redis = new Redis(plan.redisUrl);
  store = await RedisIdempotencyStore.open(redis, { prefix: `${plan.namespace}idem:` });
  countRun = (order) => redis.hincrby(`${plan.namespace}runs`, String(order), 1);
} else {
  const pool = new pg.Pool({ connectionString: plan.postgresUrl, max: 20 });
  store = await PostgresIdempotencyStore.open(pool, { schema: plan.namespace });
  countRun = (order) => pool.query(`INSERT INTO "${plan.namespace}".runs (run_order) VALUES ($1)`, [order]);
}
const ferry = await connect({ url: plan.brokerUrl });
await ferry.serve(
  Payments,
  {
    charge: async ({ order, holdMs }) => {
      await countRun(order);
      if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
      return { order };
    },
  },
  { idempotencyStore: store },
);
process.send?.({ ready: true });
process.on("SIGTERM", () => {
  void ferry.close().then(async () => {
    await store.close();
    process.exit(0);
  });
});
