import type { PlaceOrder } from "../contracts/shop-types.js";
import type { Shop } from "../launcher/shop.js";
import { waitFor } from "../launcher/wait-for.js";
import { TestCard } from "../test-cards.js";

export interface PlaceOrdersReport {
  placed: string[];
  /** Orders whose `OrderEvents.placed` event inventory handled (it reserved their stock). */
  reserved: string[];
}

const orders: PlaceOrder[] = [
  { orderId: "o-1001", customerId: "c-ada", items: [{ sku: "kettle", qty: 1 }, { sku: "mug", qty: 2 }], totalCents: 4_850, card: TestCard.Ok },
  { orderId: "o-1002", customerId: "c-bob", items: [{ sku: "teapot", qty: 1 }], totalCents: 3_200, card: TestCard.Ok },
  { orderId: "o-1003", customerId: "c-cyd", items: [{ sku: "mug", qty: 6 }], totalCents: 5_400, card: TestCard.Ok },
];

/** The storefront places orders; orders charges each through payments, then tells inventory with an event. */
export async function placeOrders(shop: Shop): Promise<PlaceOrdersReport> {
  const placed: string[] = [];
  for (const order of orders) {
    const { orderId, status, receipt } = await shop.orders.place(order);
    shop.log(`  storefront: ${orderId} placed, ${status} (${receipt})`);
    placed.push(orderId);
  }
  // An event has no reply: what shows it arrived is what its consumer did.
  const reserved = async () => (await Promise.all(placed.map((orderId) => shop.inventory.reservation({ orderId })))).filter((found) => found !== null).map((found) => found.orderId);
  await waitFor("inventory to handle every OrderEvents.placed", async () => (await reserved()).length === placed.length);
  const report = { placed, reserved: await reserved() };
  shop.log(`  inventory reserved stock for ${report.reserved.join(", ")}: the events arrived, and nobody waited on them`);
  return report;
}
