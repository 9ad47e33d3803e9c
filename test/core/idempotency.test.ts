import { expect } from "chai";
import { MemoryIdempotencyStore, type Outcome } from "../../packages/ferry/src/core/idempotency.js";
import { fakeClock } from "../support/fake-clock.js";

const done: Outcome = { ok: true, body: new Uint8Array([1]) };

describe("MemoryIdempotencyStore", () => {
  it("lets the first claim run, joins the next to it, and replays once complete", async () => {
    const store = new MemoryIdempotencyStore();
    expect(store.claim("k", "f")).to.deep.equal({ status: "new" });
    const joined = store.claim("k", "f");
    expect(joined.status).to.equal("in-flight");
    store.complete("k", done);
    expect(await (joined as { outcome: Promise<Outcome> }).outcome).to.equal(done);
    expect(store.claim("k", "f")).to.deep.equal({ status: "done", outcome: done });
  });

  it("refuses the same key with another fingerprint", () => {
    const store = new MemoryIdempotencyStore();
    store.claim("k", "f");
    expect(store.claim("k", "other")).to.deep.equal({ status: "mismatch" });
  });

  it("forgets a released claim and tells joined duplicates to claim again", async () => {
    const store = new MemoryIdempotencyStore();
    store.claim("k", "f");
    const joined = store.claim("k", "f") as { outcome: Promise<Outcome | undefined> };
    store.release("k");
    expect(await joined.outcome).to.equal(undefined);
    expect(store.claim("k", "f")).to.deep.equal({ status: "new" });
  });

  it("expires a finished key after ttlMs", async () => {
    const clock = fakeClock();
    const store = new MemoryIdempotencyStore({ ttlMs: 1_000, clock });
    store.claim("k", "f");
    store.complete("k", done);
    await clock.tick(999);
    expect(store.claim("k", "f").status).to.equal("done");
    await clock.tick(1);
    expect(store.claim("k", "f").status).to.equal("new");
  });

  it("evicts the least recently used finished keys past maxEntries, never a run in flight", () => {
    const store = new MemoryIdempotencyStore({ maxEntries: 3 });
    store.claim("running", "f");
    for (const key of ["a", "b"]) {
      store.claim(key, "f");
      store.complete(key, done);
    }
    store.claim("a", "f"); // touch a: b is now the least recently used
    store.claim("c", "f");
    expect(store.size).to.equal(3);
    expect(store.claim("b", "f").status).to.equal("new"); // b was evicted (and is claimed anew)
    expect(store.claim("running", "f").status).to.equal("in-flight");
  });
});
