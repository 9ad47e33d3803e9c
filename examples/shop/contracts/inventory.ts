import type { Reservation } from "./shop-types.js";

/** Keeps stock. Reserves an order's items when `OrderEvents.placed` arrives. */
export interface Inventory {
  /** The stock reserved for an order; null until its `placed` event has been handled. */
  reservation(req: { orderId: string }): Promise<Reservation | null>;
}
