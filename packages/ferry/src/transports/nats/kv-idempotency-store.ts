import { createHash, randomUUID } from "node:crypto";
import type { KV, KvEntry, NatsConnection } from "nats";
import { systemClock, type Clock } from "../../core/clock.js";
import { decodeValue, encodeValue } from "../../core/wire/codec.js";
import { defaultIdempotencyTtlMs, type Claim, type IdempotencyStore, type Outcome } from "../../core/idempotency.js";
import { defaultReplicas } from "./nats-options.js";

export interface NatsKvIdempotencyStoreOptions {
  /** Bucket name. Default `ferry_idempotency`. */
  bucket?: string;
  /** How long a key is remembered after its last write, ms (the bucket's max age). Default 24 h (`defaultIdempotencyTtlMs`). */
  ttlMs?: number;
  /** Copies of the bucket on a cluster (1, 3 or 5). Default 1 (`defaultReplicas`). */
  replicas?: number;
  /**
   * A claim still running after this long is presumed dead (its instance crashed) and may be
   * taken over by a duplicate, ms. Default 60,000 (`defaultLeaseMs`). Keep it above your longest handler run.
   */
  leaseMs?: number;
  /**
   * What claims are dated by, and their lease measured with. Default: the system clock. The
   * instances sharing a bucket compare each other's claim times, so their clocks must agree.
   */
  clock?: Clock;
}

/**
 * How long a claim still running is trusted, ms. A duplicate of a request whose instance crashed
 * waits up to this long before it runs; a handler running longer than this may run twice.
 */
export const defaultLeaseMs = 60_000;

/** One record per key: the claim while running, the outcome once done. */
interface KvRecord {
  fingerprint: string;
  owner: string;
  claimedAt: number;
  outcome?: Outcome;
}

/**
 * The idempotency store on a JetStream key-value bucket, shared by every instance of a service:
 * a retry that lands on another instance still replays. A claim is a KV `create` (which fails if
 * the key exists), `complete` writes the outcome, `release` deletes the key; duplicates of a run
 * in flight watch the key for its outcome. Keys are hashed (SHA-256), so any string fits.
 */
export class NatsKvIdempotencyStore implements IdempotencyStore {
  private readonly owner = randomUUID();
  private readonly claims = new Map<string, KvRecord>();

  private constructor(
    readonly kv: KV,
    private readonly leaseMs: number,
    private readonly clock: Clock,
  ) {}

  /** Opens (creating if needed) the bucket. */
  static async open(nc: NatsConnection, options: NatsKvIdempotencyStoreOptions = {}): Promise<NatsKvIdempotencyStore> {
    const kv = await nc.jetstream().views.kv(options.bucket ?? "ferry_idempotency", {
      history: 1,
      ttl: options.ttlMs ?? defaultIdempotencyTtlMs,
      replicas: options.replicas ?? defaultReplicas,
    });
    return new NatsKvIdempotencyStore(kv, options.leaseMs ?? defaultLeaseMs, options.clock ?? systemClock);
  }

  async claim(key: string, fingerprint: string): Promise<Claim> {
    const id = kvKey(key);
    for (;;) {
      const record: KvRecord = { fingerprint, owner: this.owner, claimedAt: this.clock.now() };
      try {
        await this.kv.create(id, encodeValue(record));
        this.claims.set(key, record);
        return { status: "new" };
      } catch (error) {
        if (!/wrong last sequence|key exists/i.test(String(error))) throw error;
      }
      const entry = await this.kv.get(id);
      if (entry === null || entry.operation !== "PUT") continue; // released meanwhile: claim again
      const existing = decodeValue(entry.value) as KvRecord;
      if (existing.fingerprint !== fingerprint) return { status: "mismatch" };
      if (existing.outcome !== undefined) return { status: "done", outcome: existing.outcome };
      if (this.clock.now() - existing.claimedAt >= this.leaseMs) {
        // The instance running it is presumed gone: take over, unless someone else just did.
        try {
          await this.kv.update(id, encodeValue(record), entry.revision);
          this.claims.set(key, record);
          return { status: "new" };
        } catch {
          continue;
        }
      }
      return { status: "in-flight", outcome: this.outcomeOf(id, existing.claimedAt + this.leaseMs - this.clock.now()) };
    }
  }

  async complete(key: string, outcome: Outcome): Promise<void> {
    const claim = this.claims.get(key);
    this.claims.delete(key);
    if (claim === undefined) return;
    await this.kv.put(kvKey(key), encodeValue({ ...claim, outcome }));
  }

  async release(key: string): Promise<void> {
    if (!this.claims.delete(key)) return;
    await this.kv.delete(kvKey(key));
  }

  /** Watches the key until the run finishes (its outcome), is released or its lease runs out (`undefined`: claim again). */
  private async outcomeOf(id: string, waitMs: number): Promise<Outcome | undefined> {
    const watch = await this.kv.watch({ key: id });
    const timer = setTimeout(() => watch.stop(), Math.max(waitMs, 0) + 10);
    try {
      for await (const entry of watch as AsyncIterable<KvEntry>) {
        if (entry.operation !== "PUT") return undefined;
        const record = decodeValue(entry.value) as KvRecord;
        if (record.outcome !== undefined) return record.outcome;
      }
      return undefined;
    } finally {
      clearTimeout(timer);
      watch.stop();
    }
  }
}

function kvKey(key: string): string {
  return createHash("sha256").update(key).digest("base64url");
}
