/** Types the shop's services exchange; kept apart from the interfaces, as in most codebases. */

export interface LineItem {
  sku: string;
  qty: number;
}

export interface PlaceOrder {
  orderId: string;
  customerId: string;
  items: LineItem[];
  totalCents: number;
  /** A card number; the payments service's sandbox gives some test cards a behaviour (see test-cards.ts). */
  card: string;
}

export interface PlacedOrder {
  orderId: string;
  status: "paid";
  receipt: string;
}

/** One change to an order. `seq` counts an order's updates from 1, in the order they were sent. */
export interface OrderUpdate {
  orderId: string;
  seq: number;
  change: string;
}

/** An update, as the orders service applied it: the log of these shows the order they ran in. */
export interface AppliedUpdate {
  orderId: string;
  seq: number;
}

export interface ChargeRequest {
  orderId: string;
  cents: number;
  card: string;
}

export interface Receipt {
  orderId: string;
  cents: number;
  receipt: string;
}

/** What the payments service did: how many times each order's charge ran, and how many duplicates it answered from the idempotency store. */
export interface Ledger {
  runsByOrder: Record<string, number>;
  /** Duplicates answered with the stored reply of a finished run. */
  replayed: number;
  /** Duplicates that arrived while the first run was going, and shared its reply. */
  joined: number;
}

export interface OrderPlacedEvent {
  orderId: string;
  items: LineItem[];
}

export interface Reservation {
  orderId: string;
  items: LineItem[];
}

/** An order dropped into the intake queue by the storefront during a sale. */
export interface SubmittedOrder {
  orderId: string;
  totalCents: number;
}

/** One row of the order history export (`OrderHistory.exportOrders`). */
export interface OrderRow {
  orderId: string;
  totalCents: number;
  /** Placed by the storefront (`Orders.place`), or taken from the sale's intake queue. */
  source: "storefront" | "intake";
}
