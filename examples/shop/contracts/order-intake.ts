import type { SubmittedOrder } from "./shop-types.js";

/**
 * The storefront's queue of new orders. During a sale they arrive faster than the orders
 * service handles them: they wait here, and the service takes them at its own pace.
 */
export interface OrderIntake {
  /** @event */
  submit(order: SubmittedOrder): Promise<void>;
}
