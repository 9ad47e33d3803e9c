import { systemClock, type Clock } from "./clock.js";
import type { WireError } from "./wire/wire-error.js";

/** How a handler run ended, as stored for replay. */
export type Outcome = { ok: true; body: Uint8Array | undefined } | { ok: false; error: WireError };

/** The answer to "may I run this request?". */
export type Claim =
  /** First sight of this key: run it, then `complete` or `release`. */
  | { status: "new" }
  /** Already done: reply with the stored outcome. */
  | { status: "done"; outcome: Outcome }
  /** Running elsewhere: wait for its outcome (`undefined` if that run was released; claim again). */
  | { status: "in-flight"; outcome: Promise<Outcome | undefined> }
  /** The key was used with a different request. */
  | { status: "mismatch" };

/**
 * Remembers which requests ran and what they returned, so a retried or redelivered request is
 * replayed instead of run again. Keys are scoped by the server (service and method included).
 */
export interface IdempotencyStore {
  /** `fingerprint` identifies the request body, to tell a retry from a reuse of the key. */
  claim(key: string, fingerprint: string): Claim | Promise<Claim>;
  complete(key: string, outcome: Outcome): void | Promise<void>;
  /** The run failed in a way worth retrying: forget the claim so a redelivery runs again. */
  release(key: string): void | Promise<void>;
}

export interface MemoryIdempotencyStoreOptions {
  /** How long a finished outcome is replayed, ms. Default 24 h (`defaultIdempotencyTtlMs`). */
  ttlMs?: number;
  /** Most keys remembered; the least recently used finished ones go first. Default 100,000 (`defaultMaxIdempotencyKeys`). */
  maxEntries?: number;
  clock?: Clock;
}

/**
 * How long a finished outcome is replayed, ms (24 h), in the memory store and the NATS KV store.
 * A retry or redelivery later than this runs the handler again; each outcome is held this long.
 */
export const defaultIdempotencyTtlMs = 24 * 60 * 60 * 1000;

/** Keys a memory store remembers: each holds its outcome (the reply's bytes) in memory. */
export const defaultMaxIdempotencyKeys = 100_000;

interface Entry {
  fingerprint: string;
  /** Set once the run finished. */
  outcome: Outcome | undefined;
  expiresAt: number;
  /** Duplicates waiting for the run in flight. */
  waiters: ((outcome: Outcome | undefined) => void)[] | undefined;
}

/**
 * The in-process store: a `Map` kept in least-recently-used order, bounded by `maxEntries`,
 * entries expiring `ttlMs` after their run finished. Shared by the servers of one runtime; use a
 * shared store (NATS KV) when several processes serve the same service.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly clock: Clock;

  constructor(options: MemoryIdempotencyStoreOptions = {}) {
    this.ttlMs = options.ttlMs ?? defaultIdempotencyTtlMs;
    this.maxEntries = options.maxEntries ?? defaultMaxIdempotencyKeys;
    this.clock = options.clock ?? systemClock;
  }

  get size(): number {
    return this.entries.size;
  }

  claim(key: string, fingerprint: string): Claim {
    const now = this.clock.now();
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.outcome !== undefined && entry.expiresAt <= now) this.entries.delete(key);
    else if (entry !== undefined) {
      if (entry.fingerprint !== fingerprint) return { status: "mismatch" };
      if (entry.outcome !== undefined) {
        // Touch: a replayed key is recently used.
        this.entries.delete(key);
        this.entries.set(key, entry);
        return { status: "done", outcome: entry.outcome };
      }
      const waiters = (entry.waiters ??= []);
      return { status: "in-flight", outcome: new Promise((resolve) => waiters.push(resolve)) };
    }
    this.makeRoom(now);
    this.entries.set(key, { fingerprint, outcome: undefined, expiresAt: Infinity, waiters: undefined });
    return { status: "new" };
  }

  complete(key: string, outcome: Outcome): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    entry.outcome = outcome;
    entry.expiresAt = this.clock.now() + this.ttlMs;
    this.wake(entry, outcome);
  }

  release(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.outcome !== undefined) return;
    this.entries.delete(key);
    this.wake(entry, undefined);
  }

  private wake(entry: Entry, outcome: Outcome | undefined): void {
    const waiters = entry.waiters;
    entry.waiters = undefined;
    if (waiters !== undefined) for (const resolve of waiters) resolve(outcome);
  }

  /** Drops expired entries, then least recently used finished ones, until one more fits. */
  private makeRoom(now: number): void {
    for (const [key, entry] of this.entries) {
      const expired = entry.outcome !== undefined && entry.expiresAt <= now;
      if (!expired && this.entries.size < this.maxEntries) return;
      // Runs in flight are never evicted: their duplicates are waiting on them.
      if (entry.outcome !== undefined) this.entries.delete(key);
    }
  }
}
