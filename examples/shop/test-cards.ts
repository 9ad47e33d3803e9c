/**
 * Card numbers the payments service's sandbox bank treats specially, like a payment provider's
 * test cards. Any other card is charged at once.
 */
export const TestCard = {
  /** Charged at once. */
  Ok: "4242 4242 4242 4242",
  /** The bank takes longer than the caller's per-attempt timeout, once: the caller retries. */
  SlowBank: "4000 0000 0000 0077",
  /** The issuer never answers: every attempt fails with a retryable error. */
  IssuerDown: "4000 0000 0000 0119",
} as const;
export type TestCard = (typeof TestCard)[keyof typeof TestCard];

/** How long the sandbox bank takes for a `SlowBank` card the first time, ms: well past `Payments.charge`'s 500 ms timeout. */
export const slowBankDelayMs = 800;
