import type { Shop } from "../launcher/shop.js";
import { waitFor } from "../launcher/wait-for.js";
import { slowBankDelayMs, TestCard } from "../test-cards.js";

export interface LateReplyReport {
  orderId: string;
  /** Times the payments handler ran for this order's charge. */
  chargeRuns: number;
  /** Duplicates of the charge answered from the idempotency store during this step. */
  replayed: number;
  joined: number;
}

const orderId = "o-1004";

/**
 * The bank is slow for this card: the orders service's call to `Payments.charge` times out
 * (500 ms per attempt) and is retried with the same idempotency key. The charge runs once; the
 * retry is answered with the stored reply.
 */
export async function lateReply(shop: Shop): Promise<LateReplyReport> {
  shop.log(`  orders gives each attempt of Payments.charge 500 ms; the bank will take ${slowBankDelayMs} ms`);
  const before = await shop.payments.ledger();
  const startedAt = Date.now();
  const { status, receipt } = await shop.orders.place({
    orderId,
    customerId: "c-dee",
    items: [{ sku: "grinder", qty: 1 }],
    totalCents: 8_900,
    card: TestCard.SlowBank,
  });
  shop.log(`  storefront: ${orderId} placed, ${status} (${receipt}) after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  // The retry is still on its way: it reaches payments after the slow run, and is answered from the store.
  const duplicates = (ledger: typeof before) => ledger.replayed + ledger.joined - before.replayed - before.joined;
  await waitFor("the retried charge to be answered", async () => duplicates(await shop.payments.ledger()) > 0);
  const after = await shop.payments.ledger();
  const report = { orderId, chargeRuns: after.runsByOrder[orderId] ?? 0, replayed: after.replayed - before.replayed, joined: after.joined - before.joined };
  const how = report.replayed > 0 ? `got the stored reply (replayed ${report.replayed})` : `joined the run in flight (joined ${report.joined})`;
  const times = report.chargeRuns === 1 ? "once" : `${report.chargeRuns} times`;
  shop.log(`  payments ran ${orderId}'s charge ${times}; the retry ${how}`);
  return report;
}
