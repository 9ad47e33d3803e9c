import { randomUUID } from "node:crypto";
import type { Notification, Pool, PoolClient } from "pg";
import { InvalidArgumentError } from "../core/errors.js";
import { defaultIdempotencyTtlMs, type Claim, type IdempotencyStore, type Outcome } from "../core/idempotency.js";
import { JoinWaiters, type RunState } from "../core/join-waiters.js";
import { defaultJoinPollMs, defaultSharedLeaseMs, LeaseRenewals } from "../core/lease-renewals.js";
import { positiveMs } from "../core/store-options.js";
import { decodeValue, encodeValue } from "../core/wire/codec.js";
import { channelName, lostCreateRace, tableName, type TableName } from "./sql-names.js";

export interface PostgresIdempotencyStoreOptions {
  /** Schema of the table. Default: none, the connection's search path (usually `public`). */
  schema?: string;
  /** The table, created if missing. Default `ferry_idempotency`. */
  table?: string;
  /** How long a finished outcome is replayed, ms. Default 24 h (`defaultIdempotencyTtlMs`). */
  ttlMs?: number;
  /**
   * How long a claim holds its key unrenewed, ms. Renewed every third of this while the handler
   * runs; a process that died loses its key this long after its last renewal. Default 10,000 (`defaultSharedLeaseMs`).
   */
  leaseMs?: number;
  /** How often a duplicate waiting on another process's run reads its row, besides the NOTIFY, ms. Default 1,000 (`defaultJoinPollMs`). */
  pollMs?: number;
  /** How often expired rows are deleted (at most 1,000 at a time), ms. Default 60,000 (`defaultSweepMs`). */
  sweepMs?: number;
}

/** How often a PostgreSQL idempotency store deletes expired rows, ms. */
export const defaultSweepMs = 60_000;

/**
 * Longest idempotency key the PostgreSQL store takes, in UTF-8 bytes, with the `Service.method:`
 * the server puts before it: the table's primary key is the key itself (the brief's unique
 * constraint), and a B-tree entry holds at most about 2.7 kB.
 */
export const maxPostgresKeyBytes = 2_000;

/**
 * The idempotency store on a PostgreSQL table whose primary key is the idempotency key (the
 * brief's "unique constraint in the database"), shared by every process of a service. A row holds
 * a claim (no outcome yet; `expires_at` is its lease) or an outcome (`expires_at` is its TTL). A
 * claim is one `INSERT ... ON CONFLICT DO UPDATE ... WHERE expires_at <= now`: it takes a new key,
 * or one whose lease or TTL ran out, and otherwise reads the row that holds it. The lease is
 * renewed while the handler runs; `complete` and `release` `pg_notify` the table's channel, which
 * the store `LISTEN`s to on a connection of its own, so duplicates in other processes read the
 * row at once. Times are the database's (`clock_timestamp()`), so processes need not agree on theirs.
 *
 * The application passes its own `pg` pool; the store holds one of its connections for `LISTEN`.
 */
export class PostgresIdempotencyStore implements IdempotencyStore {
  private readonly name: TableName;
  private readonly channel: string;
  private readonly ttlMs: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly sweepMs: number;
  private readonly renewals: LeaseRenewals<string>;
  private readonly waiters: JoinWaiters;
  private listener: { client: PoolClient; stop(): void } | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    options: PostgresIdempotencyStoreOptions,
  ) {
    this.name = tableName("PostgresIdempotencyStore", options.schema, options.table, "ferry_idempotency");
    this.channel = channelName(this.name, "finished");
    this.ttlMs = Math.round(positiveMs("PostgresIdempotencyStore", "ttlMs", options.ttlMs, defaultIdempotencyTtlMs));
    this.leaseMs = Math.round(positiveMs("PostgresIdempotencyStore", "leaseMs", options.leaseMs, defaultSharedLeaseMs));
    this.pollMs = positiveMs("PostgresIdempotencyStore", "pollMs", options.pollMs, defaultJoinPollMs);
    this.sweepMs = positiveMs("PostgresIdempotencyStore", "sweepMs", options.sweepMs, defaultSweepMs);
    const table = this.name.sql;
    this.renewals = new LeaseRenewals(this.leaseMs, (key, claim) =>
      this.pool.query(`UPDATE ${table} SET expires_at = clock_timestamp() + $3 * interval '1 millisecond' WHERE key = $1 AND claim = $2 AND outcome IS NULL`, [key, claim, this.leaseMs]),
    );
    this.waiters = new JoinWaiters((key, fingerprint) => this.read(key, fingerprint), this.pollMs);
  }

  /** Creates the table if missing, starts listening for finished runs, and returns the store. */
  static async open(pool: Pool, options: PostgresIdempotencyStoreOptions = {}): Promise<PostgresIdempotencyStore> {
    if (typeof pool?.connect !== "function" || typeof pool.query !== "function") throw new InvalidArgumentError("PostgresIdempotencyStore.open: expected a pg Pool");
    const store = new PostgresIdempotencyStore(pool, options);
    await store.createTable();
    await store.listen();
    store.sweeper = setInterval(() => {
      store.sweep().catch(() => undefined);
    }, store.sweepMs);
    store.sweeper.unref();
    return store;
  }

  async claim(key: string, fingerprint: string): Promise<Claim> {
    if (Buffer.byteLength(key) > maxPostgresKeyBytes) {
      throw new InvalidArgumentError(`PostgresIdempotencyStore: the idempotency key is ${Buffer.byteLength(key)} bytes, over the limit of ${maxPostgresKeyBytes}`);
    }
    const table = this.name.sql;
    for (;;) {
      const claim = randomUUID();
      const result = await this.pool.query<{ taken: number; fingerprint: string | null; outcome: Buffer | null; expired: boolean | null }>(
        `WITH taken AS (
           INSERT INTO ${table} AS run (key, fingerprint, claim, outcome, expires_at)
           VALUES ($1, $2, $3, NULL, clock_timestamp() + $4 * interval '1 millisecond')
           ON CONFLICT (key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, claim = EXCLUDED.claim, outcome = NULL, expires_at = EXCLUDED.expires_at
           WHERE run.expires_at <= clock_timestamp()
           RETURNING 1
         )
         SELECT (SELECT count(*) FROM taken)::int AS taken, held.fingerprint, held.outcome, held.expires_at <= clock_timestamp() AS expired
         FROM (SELECT 1) AS one LEFT JOIN ${table} AS held ON held.key = $1`,
        [key, fingerprint, claim, this.leaseMs],
      );
      const row = result.rows[0]!;
      if (row.taken === 1) {
        this.renewals.start(key, claim);
        return { status: "new" };
      }
      // Not taken, and the row is not in this statement's snapshot (another claim committed just
      // now) or ran out just now: read again.
      if (row.fingerprint === null || row.expired === true) continue;
      if (row.fingerprint !== fingerprint) return { status: "mismatch" };
      if (row.outcome !== null) return { status: "done", outcome: decodeValue(row.outcome) as Outcome };
      return { status: "in-flight", outcome: this.waiters.wait(key, fingerprint) };
    }
  }

  async complete(key: string, outcome: Outcome): Promise<void> {
    const claim = this.renewals.stop(key);
    if (claim === undefined) return;
    await this.pool.query(
      `WITH done AS (
         UPDATE ${this.name.sql} SET outcome = $3, expires_at = clock_timestamp() + $4 * interval '1 millisecond'
         WHERE key = $1 AND claim = $2 RETURNING key
       )
       SELECT pg_notify($5, key) FROM done`,
      [key, claim, Buffer.from(encodeValue(outcome)), this.ttlMs, this.channel],
    );
  }

  async release(key: string): Promise<void> {
    const claim = this.renewals.stop(key);
    if (claim === undefined) return;
    await this.pool.query(
      `WITH gone AS (DELETE FROM ${this.name.sql} WHERE key = $1 AND claim = $2 AND outcome IS NULL RETURNING key)
       SELECT pg_notify($3, key) FROM gone`,
      [key, claim, this.channel],
    );
  }

  /** Deletes up to 1,000 rows whose lease or TTL ran out; returns how many. Runs every `sweepMs` on its own. */
  async sweep(): Promise<number> {
    const table = this.name.sql;
    const result = await this.pool.query(`DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE expires_at <= clock_timestamp() LIMIT 1000)`);
    return result.rowCount ?? 0;
  }

  /** Stops renewing and sweeping, wakes local waiters (they claim again) and gives back the listening connection; the pool stays open. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    this.renewals.stopAll();
    this.waiters.close();
    const listener = this.listener;
    this.listener = undefined;
    if (listener !== undefined) {
      await listener.client.query(`UNLISTEN "${this.channel}"`).catch(() => undefined);
      listener.stop();
      listener.client.release();
    }
  }

  private async createTable(): Promise<void> {
    try {
      await this.pool.query(
        `CREATE TABLE IF NOT EXISTS ${this.name.sql} (
           key text PRIMARY KEY,
           fingerprint text NOT NULL,
           claim uuid NOT NULL,
           outcome bytea,
           expires_at timestamptz NOT NULL
         )`,
      );
    } catch (error) {
      if (!lostCreateRace(error)) throw error;
    }
  }

  /** Holds a connection that LISTENs for finished runs; if it drops, waiters poll until it is back. */
  private async listen(): Promise<void> {
    const client = await this.pool.connect();
    const onNotice = (notice: Notification): void => {
      if (notice.channel === this.channel && notice.payload !== undefined) this.waiters.notify(notice.payload);
    };
    const onError = (): void => {
      stop();
      if (this.listener?.client === client) this.listener = undefined;
      client.release(true);
      if (!this.closed) setTimeout(() => void this.listen().catch(() => undefined), this.pollMs).unref();
    };
    const stop = (): void => {
      client.off("notification", onNotice);
      client.off("error", onError);
    };
    client.on("notification", onNotice);
    client.on("error", onError);
    await client.query(`LISTEN "${this.channel}"`);
    if (this.closed) {
      stop();
      return client.release();
    }
    this.listener = { client, stop };
  }

  /** What a waiting duplicate finds: the outcome, still running, or gone (released, lease or TTL run out, taken over by another request). */
  private async read(key: string, fingerprint: string): Promise<RunState> {
    const result = await this.pool.query<{ fingerprint: string; outcome: Buffer | null; expired: boolean }>(
      `SELECT fingerprint, outcome, expires_at <= clock_timestamp() AS expired FROM ${this.name.sql} WHERE key = $1`,
      [key],
    );
    const row = result.rows[0];
    if (row === undefined || row.expired || row.fingerprint !== fingerprint) return undefined;
    return row.outcome === null ? "running" : (decodeValue(row.outcome) as Outcome);
  }
}
