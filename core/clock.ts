/**
 * Time as the runtime sees it. Injected so tests can drive timeouts, backoff and deadlines with a
 * fake clock (an `@sinonjs/fake-timers` clock fits this shape) instead of sleeping.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => {
    const handle = setTimeout(callback, delayMs);
    // A pending timer must never keep a process alive on its own: close() is what ends work.
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
