import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { InvalidArgumentError } from "../core/errors.js";
import { defaultIdempotencyTtlMs, type Claim, type IdempotencyStore, type Outcome } from "../core/idempotency.js";
import { JoinWaiters, type RunState } from "../core/join-waiters.js";
import { defaultJoinPollMs, defaultSharedLeaseMs, LeaseRenewals } from "../core/lease-renewals.js";
import { nameOption, positiveMs } from "../core/store-options.js";
import { decodeValue, encodeValue } from "../core/wire/codec.js";

export interface RedisIdempotencyStoreOptions {
  /** Prefix of every key the store writes, and of its pub/sub channel. Default `ferry:idempotency:`. */
  prefix?: string;
  /** How long a finished outcome is replayed, ms (the key's expiry). Default 24 h (`defaultIdempotencyTtlMs`). */
  ttlMs?: number;
  /**
   * How long a claim holds its key unrenewed, ms. Renewed every third of this while the handler
   * runs; a process that died loses its key this long after its last renewal. Default 10,000 (`defaultSharedLeaseMs`).
   */
  leaseMs?: number;
  /** How often a duplicate waiting on another process's run reads its key, besides the pub/sub notice, ms. Default 1,000 (`defaultJoinPollMs`). */
  pollMs?: number;
}

/** One value per key: the claim while it runs, with the outcome once done. */
interface StoredRun {
  /** The request's fingerprint. */
  f: string;
  /** The claim's own id: only the claim that holds the key renews or releases it. */
  c: string;
  outcome?: Outcome;
}

/** Renews the lease if the key still holds this claim. */
const renewScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

/**
 * Stores the outcome if the key holds this claim or nothing (the lease ran out and nobody took
 * over: the outcome is still worth keeping), then tells the waiting duplicates.
 */
const completeScript = `local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  redis.call('PUBLISH', ARGV[4], KEYS[1])
  return 1
end
return 0`;

/** Deletes the key if it holds this claim, then tells the waiting duplicates. */
const releaseScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], KEYS[1])
  return 1
end
return 0`;

/**
 * The idempotency store on Redis, shared by every process of a service (the brief's "in Redis a
 * set is naturally idempotent"). A claim is one `SET key run PX lease NX GET`: it either takes the
 * key or returns what holds it. While the handler runs its lease is renewed (a script that checks
 * the claim still holds the key); `complete` replaces the claim with the outcome for `ttlMs`,
 * `release` deletes it, and both publish the key on the store's channel, where duplicates waiting
 * in other processes hear it and read the key. A process that dies stops renewing: its key expires
 * and the next duplicate claims it.
 *
 * The application passes its own ioredis client; the store duplicates it once for its subscriber
 * connection. Needs Redis 7.0 or later (`SET ... NX GET`).
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly prefix: string;
  private readonly channel: string;
  private readonly ttlMs: number;
  private readonly leaseMs: number;
  private readonly renewals: LeaseRenewals<Buffer>;
  private readonly waiters: JoinWaiters;
  private readonly subscriber: Redis;

  private constructor(
    private readonly redis: Redis,
    subscribe: () => Redis,
    options: RedisIdempotencyStoreOptions,
  ) {
    this.prefix = nameOption("RedisIdempotencyStore", "prefix", options.prefix, "ferry:idempotency:", /^.{1,200}$/s, "a string of 1 to 200 characters");
    this.channel = `${this.prefix}finished`;
    this.ttlMs = Math.round(positiveMs("RedisIdempotencyStore", "ttlMs", options.ttlMs, defaultIdempotencyTtlMs));
    this.leaseMs = Math.round(positiveMs("RedisIdempotencyStore", "leaseMs", options.leaseMs, defaultSharedLeaseMs));
    const pollMs = positiveMs("RedisIdempotencyStore", "pollMs", options.pollMs, defaultJoinPollMs);
    this.renewals = new LeaseRenewals(this.leaseMs, (id, run) => this.redis.eval(renewScript, 1, id, run, String(this.leaseMs)));
    this.waiters = new JoinWaiters((id, fingerprint) => this.read(id, fingerprint), pollMs);
    this.subscriber = subscribe();
  }

  /** Subscribes to the store's channel (on a duplicate of `redis`) and returns the store. */
  static async open(redis: Redis, options: RedisIdempotencyStoreOptions = {}): Promise<RedisIdempotencyStore> {
    if (typeof redis?.duplicate !== "function") throw new InvalidArgumentError("RedisIdempotencyStore.open: expected an ioredis client");
    // Options are checked before the subscriber connection exists, so a bad one leaves nothing open.
    const store = new RedisIdempotencyStore(redis, () => redis.duplicate(), options);
    const subscriber = store.subscriber;
    subscriber.on("message", (channel: string, id: string) => {
      if (channel === store.channel) store.waiters.notify(id);
    });
    try {
      await subscriber.subscribe(store.channel);
    } catch (error) {
      subscriber.disconnect();
      throw error;
    }
    return store;
  }

  async claim(key: string, fingerprint: string): Promise<Claim> {
    const id = this.prefix + key;
    const run = Buffer.from(encodeValue({ f: fingerprint, c: randomUUID() } satisfies StoredRun));
    const held = (await this.redis.callBuffer("SET", id, run, "PX", this.leaseMs, "NX", "GET")) as Buffer | null;
    if (held === null) {
      this.renewals.start(id, run);
      return { status: "new" };
    }
    const existing = decodeValue(held) as StoredRun;
    if (existing.f !== fingerprint) return { status: "mismatch" };
    if (existing.outcome !== undefined) return { status: "done", outcome: existing.outcome };
    return { status: "in-flight", outcome: this.waiters.wait(id, fingerprint) };
  }

  async complete(key: string, outcome: Outcome): Promise<void> {
    const id = this.prefix + key;
    const run = this.renewals.stop(id);
    if (run === undefined) return;
    const claim = decodeValue(run) as StoredRun;
    const done = Buffer.from(encodeValue({ ...claim, outcome } satisfies StoredRun));
    await this.redis.eval(completeScript, 1, id, run, done, String(this.ttlMs), this.channel);
  }

  async release(key: string): Promise<void> {
    const id = this.prefix + key;
    const run = this.renewals.stop(id);
    if (run === undefined) return;
    await this.redis.eval(releaseScript, 1, id, run, this.channel);
  }

  /** Stops renewing, wakes local waiters (they claim again) and closes the subscriber; the application's client stays open. */
  async close(): Promise<void> {
    this.renewals.stopAll();
    this.waiters.close();
    this.subscriber.disconnect();
  }

  /** What a waiting duplicate finds: the outcome, still running, or gone (released, expired, taken over by another request). */
  private async read(id: string, fingerprint: string): Promise<RunState> {
    const held = await this.redis.getBuffer(id);
    if (held === null) return undefined;
    const run = decodeValue(held) as StoredRun;
    if (run.f !== fingerprint) return undefined;
    return run.outcome ?? "running";
  }
}
