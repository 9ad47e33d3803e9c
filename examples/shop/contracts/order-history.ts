import type { OrderRow } from "./shop-types.js";

/** The orders service's history of every order it handled, for reports and exports. */
export interface OrderHistory {
  /**
   * Every order handled so far, oldest first: an export that may run to millions of rows. It is a
   * stream: the service yields row after row, never more than the reader's window ahead of it.
   *
   * @timeout 5s
   */
  exportOrders(): AsyncIterable<OrderRow>;
  /** How far exports got: rows the service produced in all, and exports stopped because their reader left. */
  exportProgress(): Promise<{ produced: number; stoppedEarly: number }>;
}
