import type { ChildProcess } from "node:child_process";
import { ServiceMessage } from "../services/run-service.js";
import type { Shop } from "../launcher/shop.js";
import { waitFor } from "../launcher/wait-for.js";

export type ReplayDeadLetterReport =
  | { skipped: string }
  | {
      /** What `deadLetters("Payments").replay` reported. */
      counts: { replayed: number; skipped: number; failed: number };
      /** Charges of the poison order that ran after the fix (the dead letter's replay): 1. */
      runsAfterFix: number;
      /** Dead letters of Payments left after the replay: 0. */
      left: number;
      /** The storefront retried the original call (same idempotency key) after the replay: the receipt it got from the store. */
      retryReceipt: string | undefined;
      /** Charges of the poison order that the retry ran: 0, it was answered from the idempotency store. */
      runsByRetry: number;
    };

const orderId = "o-1099";

/**
 * The recovery: the fault behind step 4's dead letter is fixed (the issuer is back), the dead
 * letter is replayed to payments with its call id and idempotency key, it is charged once, and the
 * storefront's own retry of that call gets the stored receipt instead of a second charge.
 */
export async function replayDeadLetter(shop: Shop, fix: () => Promise<void>): Promise<ReplayDeadLetterReport> {
  if (shop.choice.deadLetterNote !== undefined) {
    const reason = "core NATS stores no dead letter, so there is none to replay (run with durable mode for this step)";
    shop.log(`  skipped: ${reason}`);
    return { skipped: reason };
  }
  const queue = shop.ferry.deadLetters("Payments");
  const [letter] = await queue.list({ method: "charge" });
  if (letter === undefined) throw new Error(`no dead letter of Payments.charge to replay`);
  await fix();
  const runs = async (): Promise<number> => (await shop.payments.ledger()).runsByOrder[orderId] ?? 0;
  const runsBefore = await runs();
  shop.log(`  replaying ${letter.id} (call ${letter.callId}); from a shell: ferry dlq replay --service Payments --method charge --url ${shop.choice.brokerUrl ?? "<broker>"}`);
  const report = await queue.replay({ method: "charge" }, { rate: 10 });
  shop.log(`  replay: replayed ${report.replayed}, skipped ${report.skipped}, failed ${report.failed}`);
  await waitFor(`the replayed charge of ${orderId}`, async () => (await runs()) > runsBefore);
  const runsAfterFix = (await runs()) - runsBefore;
  const left = (await queue.list()).length;
  // The caller that gave up in step 4 tries again with the same idempotency key: the replay already charged it.
  const receipt = await shop.payments.charge(letter.request as Parameters<Shop["payments"]["charge"]>[0], { idempotencyKey: letter.idempotencyKey! });
  const runsByRetry = (await runs()) - runsBefore - runsAfterFix;
  shop.log(`  ${orderId} charged ${runsAfterFix} time after the fix; ${left} dead letters left; the storefront's retry got ${receipt.receipt} from the idempotency store (${runsByRetry} more charges)`);
  return { counts: { replayed: report.replayed, skipped: report.skipped, failed: report.failed }, runsAfterFix, left, retryReceipt: receipt.receipt, runsByRetry };
}

/** The fix: tells the payments process the issuer is back, and resolves once it has taken it. */
export function fixIssuer(payments: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    const taken = (message: unknown): void => {
      if (message !== ServiceMessage.Fixed) return;
      payments.off("message", taken);
      resolve();
    };
    payments.on("message", taken);
    payments.send(ServiceMessage.IssuerBack);
  });
}
