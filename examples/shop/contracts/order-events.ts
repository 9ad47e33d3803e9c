import type { OrderPlacedEvent } from "./shop-types.js";

/** What happens to orders, for whoever listens. The orders service emits; inventory consumes. */
export interface OrderEvents {
  /**
   * An order was paid for: its stock should be reserved.
   *
   * @event
   * @key orderId
   */
  placed(evt: OrderPlacedEvent): Promise<void>;
}
