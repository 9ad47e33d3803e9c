/** Lets the event loop turn once (broker delivery passes run on setImmediate). */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Turns the event loop until `predicate` holds; fails after `maxTurns` without it (no wall clock). */
export async function until(predicate: () => boolean | Promise<boolean>, what = "condition", maxTurns = 10_000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (await predicate()) return;
    await turn();
  }
  throw new Error(`gave up waiting for ${what} after ${maxTurns} event-loop turns`);
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
