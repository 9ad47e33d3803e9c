/** Adds, divides and charges: the smallest service with something to show. */
export interface Calculator {
  add(request: { a: number; b: number }): Promise<{ sum: number }>;
  divide(request: { a: number; b: number }): Promise<{ quotient: number }>;
  /**
   * Charges an account; safe to retry: a retry runs it once and gets the first reply.
   * @idempotent @retries 3 @timeout 200ms
   */
  charge(request: { account: string; cents: number }): Promise<{ receipt: string }>;
  /** @event */
  cleared(event: { by: string }): Promise<void>;
}
