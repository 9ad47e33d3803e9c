/** Types the Orders service exchanges; kept apart from the interface, as in most codebases. */

export type Sku = string;

export interface LineItem {
  sku: Sku;
  qty: number;
}

export interface PlaceOrder {
  orderId: string;
  customerId: string;
  items: LineItem[];
  /** When the customer wants it delivered; the store picks a date when absent. */
  deliverBy?: Date;
  note?: string;
}

export interface OrderPlaced {
  orderId: string;
  status: "accepted" | "backordered";
  totalCents: bigint;
  placedAt: Date;
}

export interface Quote {
  sku: Sku;
  qty: number;
  unitCents: number;
  currency: "EUR" | "USD";
}
