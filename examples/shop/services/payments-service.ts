// The payments process: charges orders through a sandbox bank. One charge per idempotency key,
// whatever the retries; a card whose issuer never answers ends in the dead-letter topic.
import { UnavailableError, type CallContext, type Ferry } from "../../../packages/ferry/src/index.js";
import type { ChargeRequest, Ledger, Receipt } from "../contracts/shop-types.js";
import { servePayments, type PaymentsHandlers } from "../generated/payments.handlers.js";
import { slowBankDelayMs, TestCard } from "../test-cards.js";
import { runService, ServiceMessage, type Log } from "./run-service.js";

/** After this many deliveries a charge that keeps failing goes to `svc.Payments.dlq`. */
const maxDeliveries = 3;

class PaymentsDesk implements PaymentsHandlers {
  private readonly runsByOrder: Record<string, number> = {};
  private readonly slowCardsSeen = new Set<string>();
  /** The fix: set when the launcher says the issuer is back (`ServiceMessage.IssuerBack`). */
  issuerBack = false;

  constructor(
    private readonly ferry: Ferry,
    private readonly log: Log,
  ) {}

  async charge({ orderId, cents, card }: ChargeRequest, context: CallContext): Promise<Receipt> {
    const run = (this.runsByOrder[orderId] = (this.runsByOrder[orderId] ?? 0) + 1);
    if (card === TestCard.IssuerDown && !this.issuerBack) {
      this.log(`${orderId}: issuer unreachable (delivery ${context.deliveryCount} of ${maxDeliveries}), handing it back`);
      // Retryable: the broker redelivers it, up to maxDeliveries, then dead-letters it.
      throw new UnavailableError("card issuer unreachable");
    }
    if (card === TestCard.SlowBank && !this.slowCardsSeen.has(orderId)) {
      this.slowCardsSeen.add(orderId);
      this.log(`${orderId}: the bank is slow today: ${slowBankDelayMs} ms, past the caller's timeout`);
      await new Promise((resolve) => setTimeout(resolve, slowBankDelayMs));
    }
    this.log(`${orderId}: charged ${cents} cents (run ${run}, attempt ${context.attempt})`);
    return { orderId, cents, receipt: `rcpt-${orderId}` };
  }

  async ledger(): Promise<Ledger> {
    const stats = (await this.ferry.stats()).servers["Payments#Payments"];
    return { runsByOrder: { ...this.runsByOrder }, replayed: stats?.replayed ?? 0, joined: stats?.joined ?? 0 };
  }
}

await runService(async (ferry, log) => {
  const desk = new PaymentsDesk(ferry, log);
  // The fix the replay step waits for: in real life a bug fixed and deployed, here the issuer's outage ends.
  process.on("message", (message) => {
    if (message !== ServiceMessage.IssuerBack) return;
    desk.issuerBack = true;
    log("the card issuer is back: IssuerDown cards are charged from now on");
    process.send?.(ServiceMessage.Fixed);
  });
  await servePayments(ferry, desk, {
    topic: { maxDeliveries: maxDeliveries },
    redeliveryDelayMs: 50,
  });
});
