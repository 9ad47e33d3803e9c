/** Exponential backoff between retries. */
export interface BackoffOptions {
  /** Delay before the first retry, ms. Default 50. */
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

/** Delay before retry number `retry` (1 = first retry), ms. */
export function backoffDelay(retry: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const { initialMs = 50, maxMs = 2_000, multiplier = 2, jitter = 0.5 } = options;
  const base = Math.min(maxMs, initialMs * multiplier ** (retry - 1));
  return Math.round(base * (1 - jitter * random()));
}
