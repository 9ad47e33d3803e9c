import type { AppliedUpdate, OrderUpdate, PlacedOrder, PlaceOrder } from "./shop-types.js";

/** Takes orders from the storefront: places them (charging them through Payments) and applies their updates. */
export interface Orders {
  /**
   * Places an order: charges it through Payments, then announces it with `OrderEvents.placed`.
   * Safe to retry: all attempts of one call place the order once.
   *
   * @key orderId
   * @idempotent
   * @timeout 5s
   */
  place(req: PlaceOrder): Promise<PlacedOrder>;
  /**
   * Applies one change to an order. Updates of one order run one at a time, in the order sent;
   * updates of different orders run side by side.
   *
   * @key orderId
   * @timeout 5s
   */
  update(req: OrderUpdate): Promise<AppliedUpdate>;
  /** Every update applied so far, in the order it was applied. */
  updatesApplied(): Promise<AppliedUpdate[]>;
  /** How many orders from the intake queue have been handled. */
  intakeHandled(): Promise<{ handled: number }>;
}
