import type { Shop } from "../launcher/shop.js";

export interface OrderedUpdatesReport {
  /** Per order, the `seq` of its updates in the order they were applied. */
  appliedByOrder: Record<string, number[]>;
  /** Whether updates of different orders alternated in the apply log (they did not wait for each other). */
  interleaved: boolean;
}

const orderIds = ["o-1001", "o-1002", "o-1003"];
const changes = ["address corrected", "gift wrap added", "delivery moved to Friday", "leave at the door", "express shipping"];

/**
 * Sends every update of three orders at once. `Orders.update` is keyed by `orderId`: one
 * order's updates run one at a time in the order sent, while different orders run side by side.
 */
export async function orderedUpdates(shop: Shop): Promise<OrderedUpdatesReport> {
  shop.log(`  sending ${changes.length} updates for each of ${orderIds.join(", ")}, all at once`);
  shop.log(`  each update of an order is quicker than the one before: unordered, later ones would overtake`);
  const alreadyApplied = (await shop.orders.updatesApplied()).length;
  const calls = [];
  for (const [index, change] of changes.entries()) {
    for (const orderId of orderIds) calls.push(shop.orders.update({ orderId, seq: index + 1, change }));
  }
  await Promise.all(calls);
  const applied = (await shop.orders.updatesApplied()).slice(alreadyApplied);
  const appliedByOrder: Record<string, number[]> = {};
  for (const { orderId, seq } of applied) (appliedByOrder[orderId] ??= []).push(seq);
  for (const orderId of orderIds) shop.log(`  ${orderId} applied updates ${(appliedByOrder[orderId] ?? []).join(" ")}`);
  // Grouped by order, the log would change order only orderIds.length - 1 times.
  const switches = applied.filter((update, index) => index > 0 && update.orderId !== applied[index - 1]!.orderId).length;
  const interleaved = switches > orderIds.length - 1;
  const start = applied.slice(0, 6).map(({ orderId, seq }) => `${orderId}#${seq}`).join(" ");
  shop.log(`  apply log: ${start} ...: ${interleaved ? "different orders interleave" : "one order after another"}`);
  return { appliedByOrder, interleaved };
}
