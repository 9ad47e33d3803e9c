/** Lets the event loop turn once (broker delivery passes run on setImmediate). */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Waits until `predicate` holds: first by turning the event loop (`maxTurns` times, which is all
 * an in-process broker needs), then by polling every few milliseconds, for a broker in another
 * process on a busy machine. Fails after `giveUpMs` in all: a guard against a hang, never an
 * assertion on speed.
 */
export async function until(predicate: () => boolean | Promise<boolean>, what = "condition", maxTurns = 10_000, giveUpMs = 30_000): Promise<void> {
  const giveUpAt = Date.now() + giveUpMs;
  for (let i = 0; ; i++) {
    if (await predicate()) return;
    if (i < maxTurns) {
      await turn();
      continue;
    }
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting for ${what} after ${giveUpMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A promise with its resolver, to hold a handler until the test lets it go. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/** Expects `promise` to reject, and returns the error. */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error("expected the promise to reject, but it resolved");
}
