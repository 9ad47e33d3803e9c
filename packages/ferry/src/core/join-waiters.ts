import type { Outcome } from "./idempotency.js";

/** What a shared store finds under a key a duplicate is waiting on. */
export type RunState = "running" | Outcome | undefined;

interface Waiting {
  fingerprint: string;
  resolvers: ((outcome: Outcome | undefined) => void)[];
  timer: NodeJS.Timeout | undefined;
  reading: boolean;
  /** A notice came while a read was under way: read once more when it ends. */
  again: boolean;
}

/**
 * The duplicates of runs in flight in other processes, waiting for their outcomes. A shared store
 * (Redis, PostgreSQL) calls `notify(key)` when its change feed (pub/sub, LISTEN) says a key
 * finished or was handed back, and each waiting key is also read every `pollMs`: a notice can be
 * lost (a reconnect), and a run whose process died sends none, its lease just runs out. Either way
 * the waiters learn the news by reading the key, never from the notice itself, so a notice is only
 * ever a hint to read sooner.
 *
 * The read resolves the waiters with the outcome once there is one, with `undefined` when the key
 * is gone or its lease ran out (the server claims again), and keeps them waiting while it runs.
 */
export class JoinWaiters {
  private readonly waiting = new Map<string, Waiting>();
  private closed = false;

  constructor(
    private readonly read: (key: string, fingerprint: string) => Promise<RunState>,
    private readonly pollMs: number,
  ) {}

  /** Keys with duplicates waiting. */
  get size(): number {
    return this.waiting.size;
  }

  /**
   * Waits for the run of `key` with request `fingerprint`; reads it at once, since it may have
   * finished before this call. The read hands back `undefined` if the key now holds another
   * request (its run was taken over), so the server claims again and sees the mismatch.
   */
  wait(key: string, fingerprint: string): Promise<Outcome | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    let entry = this.waiting.get(key);
    if (entry !== undefined && entry.fingerprint !== fingerprint) return Promise.resolve(undefined);
    const joined = entry !== undefined;
    entry ??= { fingerprint, resolvers: [], timer: undefined, reading: false, again: false };
    this.waiting.set(key, entry);
    const outcome = new Promise<Outcome | undefined>((resolve) => entry.resolvers.push(resolve));
    if (!joined) this.check(key);
    return outcome;
  }

  /** The store heard that `key` changed: read it now. */
  notify(key: string): void {
    if (this.waiting.has(key)) this.check(key);
  }

  /** Hands every waiter `undefined`: their servers claim again (and fail if the store is gone). */
  close(): void {
    this.closed = true;
    for (const key of [...this.waiting.keys()]) this.settle(key, undefined);
  }

  private check(key: string): void {
    const entry = this.waiting.get(key);
    if (entry === undefined) return;
    if (entry.reading) {
      entry.again = true;
      return;
    }
    clearTimeout(entry.timer);
    entry.reading = true;
    entry.again = false;
    this.read(key, entry.fingerprint).then(
      (state) => {
        entry.reading = false;
        if (state !== "running") return this.settle(key, state);
        if (entry.again) return this.check(key);
        this.schedule(key, entry);
      },
      // A failed read (the store's connection dropped) is tried again at the next poll.
      () => {
        entry.reading = false;
        this.schedule(key, entry);
      },
    );
  }

  private schedule(key: string, entry: Waiting): void {
    if (this.closed || this.waiting.get(key) !== entry) return;
    entry.timer = setTimeout(() => this.check(key), this.pollMs);
    entry.timer.unref();
  }

  private settle(key: string, outcome: Outcome | undefined): void {
    const entry = this.waiting.get(key);
    if (entry === undefined) return;
    this.waiting.delete(key);
    clearTimeout(entry.timer);
    for (const resolve of entry.resolvers) resolve(outcome);
  }
}
