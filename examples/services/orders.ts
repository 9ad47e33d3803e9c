import type { OrderPlaced, PlaceOrder, Quote } from "./orders-types.js";

/** Prices and places orders. */
export interface Orders {
  /** @key orderId @idempotent @timeout 2s */
  place(req: PlaceOrder): Promise<OrderPlaced>;
  quote(req: { sku: string; qty: number }): Promise<Quote | null>;
  /** @event */
  cancelled(evt: { orderId: string; reason?: string }): Promise<void>;
}
