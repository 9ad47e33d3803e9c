// The inventory process: reserves stock when an order is announced (`OrderEvents.placed`, a
// fire-and-forget event nobody waits on), and tells what it reserved.
import type { Reservation } from "../contracts/shop-types.js";
import { serveInventory } from "../generated/inventory.handlers.js";
import { serveOrderEvents } from "../generated/order-events.handlers.js";
import { runService } from "./run-service.js";

await runService(async (ferry, log) => {
  const reservations = new Map<string, Reservation>();
  await serveOrderEvents(ferry, {
    placed: ({ orderId, items }) => {
      reservations.set(orderId, { orderId, items });
      log(`${orderId}: reserved ${items.map(({ qty, sku }) => `${qty} x ${sku}`).join(", ")}`);
    },
  });
  await serveInventory(ferry, {
    reservation: ({ orderId }) => reservations.get(orderId) ?? null,
  });
});
