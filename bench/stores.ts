// `npm run bench:stores`: what the shared idempotency stores and the outboxes cost, measured in one
// process on the in-process broker so that the store (or the outbox) is the only thing that
// differs. Rounds are interleaved (memory, NATS KV, Redis, PostgreSQL, memory, ...) and the
// medians are reported with their ratio to the memory store in the same run.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as natsConnect } from "nats";
import { Redis } from "ioredis";
import pg from "pg";
import { Broker } from "../packages/ferry/src/broker/broker.js";
import { connect, defineService, event, FileOutbox, method, MemoryIdempotencyStore, type Ferry, type IdempotencyStore } from "../packages/ferry/src/index.js";
import { NatsKvIdempotencyStore } from "../packages/ferry/src/transports/nats/index.js";
import { PostgresIdempotencyStore, PostgresOutbox } from "../packages/ferry/src/postgres/index.js";
import { RedisIdempotencyStore } from "../packages/ferry/src/redis/index.js";
import { deleteRedisPrefix } from "../test/stores/databases.js";
import { formatCount, formatLatency, formatRatio } from "./format.js";

const Bench = defineService("StoreBench", {
  charge: method<{ n: number }, { n: number }>({ idempotent: true }),
  shipped: event<{ n: number; sentAt: number }>({ keyPath: "n" }),
});

const argv = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const at = argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(argv[at + 1]);
};
const rounds = flag("rounds", 5);
const callsPerRound = flag("calls", 4_000);
const rowsPerRound = flag("rows", 2_000);
const inFlight = 64;
const suffix = Math.random().toString(36).slice(2, 8);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Microseconds per call of `calls` idempotent calls, 64 in flight, each with a key of its own. */
async function callCost(store: IdempotencyStore, round: number): Promise<number> {
  const ferry = await connect({ broker: new Broker() });
  await ferry.serve(Bench, { charge: ({ n }) => ({ n }), shipped: () => undefined }, { idempotencyStore: store });
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < callsPerRound) {
        const n = next++;
        await ferry.call(Bench.methods.charge, { n }, { idempotencyKey: `r${round}-${n}` });
      }
    }),
  );
  const elapsedUs = Number(process.hrtime.bigint() - started) / 1_000;
  await ferry.close();
  return elapsedUs / callsPerRound;
}

interface OutboxRound {
  rowsPerSecond: number;
  /** Median from commit (or fsync) to the handler, µs. */
  latencyUs: number;
}

/** Writes `rowsPerRound` rows, 64 writers at once, with the relay running; measures relayed rows/s and commit-to-handled latency. */
async function outboxRound(ferry: Ferry, latencies: number[], handled: () => number, write: (n: number) => Promise<void>): Promise<OutboxRound> {
  const before = handled();
  latencies.length = 0;
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < rowsPerRound) await write(next++);
    }),
  );
  while (handled() - before < rowsPerRound) await new Promise((resolve) => setTimeout(resolve, 2));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { rowsPerSecond: rowsPerRound / seconds, latencyUs: median(latencies) };
}

const redis = new Redis("redis://127.0.0.1:6379");
const pool = new pg.Pool({ connectionString: "postgres://postgres@127.0.0.1:5432/test", max: 20 });
const schema = `ferry_bench_${suffix}`;
await pool.query(`CREATE SCHEMA "${schema}"`);
const nc = await natsConnect({ servers: "nats://127.0.0.1:4222" });
const stores: [string, IdempotencyStore][] = [
  ["memory", new MemoryIdempotencyStore()],
  ["NATS KV", await NatsKvIdempotencyStore.open(nc, { bucket: `ferry_bench_${suffix}` })],
  ["Redis", await RedisIdempotencyStore.open(redis, { prefix: `ferry-bench:${suffix}:` })],
  ["PostgreSQL", await PostgresIdempotencyStore.open(pool, { schema })],
];
const directory = await mkdtemp(join(tmpdir(), "ferry-bench-outbox-"));
try {
  const costs = new Map<string, number[]>(stores.map(([name]) => [name, []]));
  const ratios = new Map<string, number[]>(stores.map(([name]) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    let memory = 0;
    for (const [name, store] of stores) {
      const cost = await callCost(store, round);
      if (name === "memory") memory = cost;
      costs.get(name)!.push(cost);
      ratios.get(name)!.push(cost / memory);
    }
    process.stderr.write(`idempotency round ${round + 1}/${rounds}\n`);
  }
  console.log(`\nIdempotent calls, in-process broker, ${inFlight} in flight, ${formatCount(callsPerRound)} calls x ${rounds} interleaved rounds (medians)\n`);
  console.log("| store | per call | calls/s | cost vs memory |");
  console.log("|---|---:|---:|---:|");
  for (const [name] of stores) {
    const cost = median(costs.get(name)!);
    console.log(`| ${name} | ${formatLatency(cost)} | ${formatCount(1e6 / cost)} | ${formatRatio(median(ratios.get(name)!))} |`);
  }

  // Joins: a duplicate waiting in another instance (another process, as far as the store can
  // tell) on a run in flight: how long after `complete` it has the outcome.
  const joinStores: [string, () => Promise<IdempotencyStore & { close(): Promise<void> }>][] = [
    ["Redis", () => RedisIdempotencyStore.open(redis, { prefix: `ferry-bench:${suffix}:join:` })],
    ["PostgreSQL", () => PostgresIdempotencyStore.open(pool, { schema, table: "join_bench" })],
  ];
  const joinUs = new Map<string, number[]>(joinStores.map(([name]) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, open] of joinStores) {
      const [first, second] = [await open(), await open()];
      for (let i = 0; i < 50; i++) {
        const key = `join-${round}-${i}`;
        await first.claim(key, "f");
        const claim = await second.claim(key, "f");
        if (claim.status !== "in-flight") throw new Error(`expected in-flight, got ${claim.status}`);
        const started = process.hrtime.bigint();
        await first.complete(key, { ok: true, body: undefined });
        await claim.outcome;
        joinUs.get(name)!.push(Number(process.hrtime.bigint() - started) / 1_000);
      }
      await first.close();
      await second.close();
    }
  }
  console.log(`\nA duplicate joined from another instance: from complete() to its outcome, ${rounds} x 50 joins (median)\n`);
  console.log("| store | complete to joined outcome |");
  console.log("|---|---:|");
  for (const [name, values] of joinUs) console.log(`| ${name} | ${formatLatency(median(values))} |`);

  // Outboxes: one runtime serving the event, relaying one outbox at a time.
  const ferry = await connect({ broker: new Broker() });
  const latencies: number[] = [];
  let handledCount = 0;
  await ferry.serve(Bench, {
    charge: ({ n }) => ({ n }),
    shipped: ({ sentAt }) => {
      handledCount++;
      latencies.push((Date.now() - sentAt) * 1_000);
    },
  });
  const postgres = await PostgresOutbox.open(pool, { schema });
  // The same table without the NOTIFY at commit: the relay finds rows by polling, every 50 ms here.
  const quiet = await PostgresOutbox.open(pool, { schema, table: "quiet_outbox", notify: false });
  const file = await FileOutbox.open(directory);
  ferry.relayOutbox(postgres);
  ferry.relayOutbox(quiet, { pollMs: 50 });
  ferry.relayOutbox(file);
  // Each row carries the time it was written (just before its commit, or its send), ms.
  await pool.query(`CREATE TABLE "${schema}".plain_rows (n int NOT NULL, sent_at bigint NOT NULL)`);
  const writers: [string, (n: number) => Promise<void>][] = [
    [
      // The database's own commit rate, as a peer: the same transactions with a plain row and no relay.
      "plain INSERT, no outbox",
      async (n) => {
        const tx = await pool.connect();
        try {
          await tx.query("BEGIN");
          await tx.query(`INSERT INTO "${schema}".plain_rows (n, sent_at) VALUES ($1, $2)`, [n, Date.now()]);
          await tx.query("COMMIT");
        } finally {
          tx.release();
        }
        handledCount++;
      },
    ],
    [
      "PostgresOutbox",
      async (n) => {
        const tx = await pool.connect();
        try {
          await tx.query("BEGIN");
          await postgres.send(tx, Bench.methods.shipped, { n, sentAt: Date.now() });
          await tx.query("COMMIT");
        } finally {
          tx.release();
        }
      },
    ],
    [
      "PostgresOutbox, notify: false, pollMs 50",
      async (n) => {
        const tx = await pool.connect();
        try {
          await tx.query("BEGIN");
          await quiet.send(tx, Bench.methods.shipped, { n, sentAt: Date.now() });
          await tx.query("COMMIT");
        } finally {
          tx.release();
        }
      },
    ],
    ["FileOutbox", async (n) => void (await file.send(Bench.methods.shipped, { n, sentAt: Date.now() }))],
  ];
  const outboxResults = new Map<string, OutboxRound[]>(writers.map(([name]) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, write] of writers) outboxResults.get(name)!.push(await outboxRound(ferry, latencies, () => handledCount, write));
    process.stderr.write(`outbox round ${round + 1}/${rounds}\n`);
  }
  console.log(`\nOutboxes, in-process broker, ${inFlight} writers, ${formatCount(rowsPerRound)} rows x ${rounds} interleaved rounds (medians)\n`);
  console.log("| outbox | rows relayed and handled/s | send to handled, median |");
  console.log("|---|---:|---:|");
  for (const [name, results] of outboxResults) {
    const latency = name.startsWith("plain") ? "-" : formatLatency(median(results.map((r) => r.latencyUs)));
    console.log(`| ${name} | ${formatCount(median(results.map((r) => r.rowsPerSecond)))} | ${latency} |`);
  }
  await ferry.close();
  await file.close();
} finally {
  for (const [, store] of stores) await (store as { close?: () => Promise<void> }).close?.();
  await (await nc.jetstream().views.kv(`ferry_bench_${suffix}`)).destroy();
  await nc.close();
  await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
  await pool.end();
  await deleteRedisPrefix(redis, `ferry-bench:${suffix}:`);
  redis.disconnect();
  await rm(directory, { recursive: true, force: true });
}
