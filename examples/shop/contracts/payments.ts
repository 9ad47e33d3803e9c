import type { ChargeRequest, Ledger, Receipt } from "./shop-types.js";

/** Charges cards. */
export interface Payments {
  /**
   * Charges an order. Safe to retry: one idempotency key charges once, and a retry gets the
   * stored receipt. Charges of one order run one at a time.
   *
   * @key orderId
   * @idempotent
   * @timeout 500ms
   * @retries 3
   */
  charge(req: ChargeRequest): Promise<Receipt>;
  /** What the service did so far: runs per order, and duplicates answered from the idempotency store. */
  ledger(): Promise<Ledger>;
}
