/**
 * How long a claim in a shared store (Redis, PostgreSQL) holds its key without being renewed, ms.
 * The claiming process renews it every third of this while its handler runs, so a handler may run
 * for as long as it needs; a process that dies stops renewing, and a duplicate takes its key over
 * at most this long later.
 */
export const defaultSharedLeaseMs = 10_000;

/**
 * How often a duplicate waiting on a run in another process reads its key, ms, besides being woken
 * by the store's notice (pub/sub, LISTEN) when the run finishes. It bounds the wait when a notice
 * is lost, and notices a dead run whose lease ran out.
 */
export const defaultJoinPollMs = 1_000;

/**
 * Renews the leases of the runs this process holds: every `leaseMs / 3`, `renew(key, token)` for
 * each, until `stop(key)`. A renewal that fails (the store unreachable) is tried at the next tick;
 * three in a row failing lose the lease, and a duplicate may then run the request too.
 */
export class LeaseRenewals<Token> {
  private readonly held = new Map<string, { token: Token; timer: NodeJS.Timeout }>();

  constructor(
    private readonly leaseMs: number,
    private readonly renew: (key: string, token: Token) => Promise<unknown>,
  ) {}

  get size(): number {
    return this.held.size;
  }

  start(key: string, token: Token): void {
    this.stop(key);
    const timer = setInterval(() => {
      this.renew(key, token).catch(() => undefined);
    }, Math.max(1, Math.floor(this.leaseMs / 3)));
    timer.unref();
    this.held.set(key, { token, timer });
  }

  /** Stops renewing `key`; returns the token it was held with, if it was. */
  stop(key: string): Token | undefined {
    const entry = this.held.get(key);
    if (entry === undefined) return undefined;
    clearInterval(entry.timer);
    this.held.delete(key);
    return entry.token;
  }

  stopAll(): void {
    for (const key of [...this.held.keys()]) this.stop(key);
  }
}
