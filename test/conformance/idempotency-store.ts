import { expect } from "chai";
import type { Claim, IdempotencyStore, Outcome } from "../../packages/ferry/src/core/idempotency.js";
import { until } from "../support/wait.js";

/** A store under test, as one process of several sees it. */
export interface OpenedStore extends IdempotencyStore {
  close(): Promise<void>;
}

/** Short real times: the tests assert what happens once they pass, never how fast. */
export interface StoreTimes {
  ttlMs: number;
  leaseMs: number;
  pollMs: number;
}

/**
 * Opens one instance of the store, as one server process would: every instance opened by one
 * test shares the same keys (one prefix, one table), and the test closes them.
 */
export type OpenStore = (times: StoreTimes) => Promise<OpenedStore>;

const ok: Outcome = { ok: true, body: new Uint8Array([1, 2, 3]) };
const failed: Outcome = { ok: false, error: { code: "INVALID_ARGUMENT", message: "no such account", retryable: false } };

function waitFor(claim: Claim): Promise<Outcome | undefined> {
  expect(claim.status).to.equal("in-flight");
  return (claim as Extract<Claim, { status: "in-flight" }>).outcome;
}

/** The meaning of `IdempotencyStore` shared between processes: claim, join, replay, mismatch, TTL, lease. */
export function describeSharedIdempotencyStore(open: OpenStore): void {
  const opened: OpenedStore[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });
  async function instance(times: Partial<StoreTimes> = {}): Promise<OpenedStore> {
    const store = await open({ ttlMs: 60_000, leaseMs: 10_000, pollMs: 1_000, ...times });
    opened.push(store);
    return store;
  }

  it("lets the first claim run, joins a duplicate in another instance to it, and replays once complete", async () => {
    const [a, b] = [await instance(), await instance()];
    expect(await a.claim("k", "f")).to.deep.equal({ status: "new" });
    const joined = waitFor(await b.claim("k", "f"));
    await a.complete("k", ok);
    // The notice wakes it: with pollMs at 1 s, a wait this long would also be a poll.
    const outcome = (await joined) as Extract<Outcome, { ok: true }>;
    expect(outcome.ok).to.equal(true);
    expect([...outcome.body!]).to.deep.equal([1, 2, 3]);
    const replay = await b.claim("k", "f");
    expect(replay.status).to.equal("done");
  });

  it("replays a failure outcome with its code and message", async () => {
    const [a, b] = [await instance(), await instance()];
    await a.claim("k", "f");
    await a.complete("k", failed);
    expect(await b.claim("k", "f")).to.deep.equal({ status: "done", outcome: failed });
  });

  it("refuses the same key with another fingerprint, running or done", async () => {
    const [a, b] = [await instance(), await instance()];
    await a.claim("k", "f");
    expect(await b.claim("k", "other")).to.deep.equal({ status: "mismatch" });
    await a.complete("k", ok);
    expect(await b.claim("k", "other")).to.deep.equal({ status: "mismatch" });
  });

  it("forgets a released claim: its joined duplicates get undefined and the next claim runs", async () => {
    const [a, b] = [await instance(), await instance()];
    await a.claim("k", "f");
    const joined = waitFor(await b.claim("k", "f"));
    await a.release("k");
    expect(await joined).to.equal(undefined);
    expect(await b.claim("k", "f")).to.deep.equal({ status: "new" });
  });

  it("keeps separate keys apart", async () => {
    const a = await instance();
    expect(await a.claim("k1", "f")).to.deep.equal({ status: "new" });
    expect(await a.claim("k2", "f")).to.deep.equal({ status: "new" });
  });

  it("expires a finished key after ttlMs: the same request then runs again", async () => {
    const [a, b] = [await instance({ ttlMs: 200 }), await instance({ ttlMs: 200 })];
    await a.claim("k", "f");
    await a.complete("k", ok);
    expect((await b.claim("k", "f")).status).to.equal("done");
    let claim: Claim | undefined;
    await until(async () => (claim = await b.claim("k", "f")).status !== "done", "the outcome to expire");
    expect(claim).to.deep.equal({ status: "new" });
  });

  it("renews the lease while the run goes on: a run longer than leaseMs keeps its key", async () => {
    const times = { leaseMs: 300, pollMs: 50 };
    const [a, b] = [await instance(times), await instance(times)];
    await a.claim("k", "f");
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // four leases
    const joined = waitFor(await b.claim("k", "f"));
    await a.complete("k", ok);
    expect((await joined)?.ok).to.equal(true);
  });

  it("hands a run whose process died to a duplicate once its lease runs out", async () => {
    const times = { leaseMs: 300, pollMs: 50 };
    const [dead, b] = [await instance(times), await instance(times)];
    await dead.claim("k", "f");
    // The process dies: it stops renewing, and neither completes nor releases.
    await dead.close();
    const joined = waitFor(await b.claim("k", "f"));
    expect(await joined).to.equal(undefined);
    expect(await b.claim("k", "f")).to.deep.equal({ status: "new" });
    // The dead claim's late complete (a process that was only paused) does not undo the new run's claim.
    await b.complete("k", ok);
    expect((await b.claim("k", "f")).status).to.equal("done");
  });

  it("joins many duplicates of one key in one instance to a single run", async () => {
    const [a, b] = [await instance(), await instance()];
    await a.claim("k", "f");
    const claims = await Promise.all([1, 2, 3, 4, 5].map(() => b.claim("k", "f")));
    const joined = claims.map(waitFor);
    await a.complete("k", ok);
    const outcomes = await Promise.all(joined);
    expect(outcomes.map((outcome) => outcome?.ok)).to.deep.equal([true, true, true, true, true]);
  });
}
