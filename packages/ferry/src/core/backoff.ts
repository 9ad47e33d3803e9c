/** Exponential backoff between retries. */
export interface BackoffOptions {
  /** Delay before the first retry, ms. Default 50 (`defaultBackoff`). */
  initialMs?: number;
  /** Upper bound of any delay, ms. Default 2,000. */
  maxMs?: number;
  /** Growth per retry. Default 2. */
  multiplier?: number;
  /**
   * Fraction of each delay that is randomised (0 = none, 1 = full jitter). Default 0.5: the
   * delay is drawn from [d/2, d], so retries of many callers spread out but still back off.
   */
  jitter?: number;
}

/**
 * The backoff of a call that sets none, in a runtime that sets none: 50, 100, 200 ms and so on up
 * to 2 s, each cut by up to half at random. A call's default deadline includes every backoff of
 * its retries, so longer waits also make a retrying call's deadline later.
 */
export const defaultBackoff: Readonly<Required<BackoffOptions>> = Object.freeze({ initialMs: 50, maxMs: 2_000, multiplier: 2, jitter: 0.5 });

/** Delay before retry number `retry` (1 = first retry), ms. */
export function backoffDelay(retry: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const { initialMs = defaultBackoff.initialMs, maxMs = defaultBackoff.maxMs, multiplier = defaultBackoff.multiplier, jitter = defaultBackoff.jitter } = options;
  const base = Math.min(maxMs, initialMs * multiplier ** (retry - 1));
  return Math.round(base * (1 - jitter * random()));
}
