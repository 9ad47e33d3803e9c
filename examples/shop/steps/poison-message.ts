import type { DeadLetterRecord, FerryError } from "../../../packages/ferry/src/index.js";
import { DeadLetterInbox } from "../launcher/dead-letter-inbox.js";
import type { Shop } from "../launcher/shop.js";
import { waitFor } from "../launcher/wait-for.js";
import { TestCard } from "../test-cards.js";

export interface PoisonMessageReport {
  /** The code the caller got. */
  callerError: string | undefined;
  /** Dead letters read from `svc.Payments.dlq` during this step (without the original bytes). */
  deadLetters: Omit<DeadLetterRecord, "bytes">[];
}

const orderId = "o-1099";

/**
 * A charge whose card issuer never answers: payments throws a retryable error each time, the
 * broker redelivers it until `maxDeliveries`, then moves it to `svc.Payments.dlq`.
 */
export async function poisonMessage(shop: Shop): Promise<PoisonMessageReport> {
  if (shop.choice.deadLetterNote !== undefined) shop.log(`  note: ${shop.choice.deadLetterNote}`);
  const inbox = await DeadLetterInbox.open(shop.ferry, "Payments");
  try {
    let callerError: string | undefined;
    try {
      // retries: 0, so the broker's redeliveries are the only retries here. A retry by the
      // caller would be a new message, with redeliveries and a dead letter of its own.
      await shop.payments.charge({ orderId, cents: 1_500, card: TestCard.IssuerDown }, { retries: 0, timeoutMs: 5_000 });
      shop.log(`  storefront: the charge for ${orderId} went through, which it should not have`);
    } catch (error) {
      const { code, message } = error as FerryError;
      callerError = code;
      shop.log(`  storefront: the charge for ${orderId} failed: ${code}: ${message}`);
    }
    await waitFor(`the dead letter in ${inbox.topic}`, async () => inbox.letters.length > 0);
    for (const letter of inbox.letters) {
      const about = (letter.request as { orderId?: string } | undefined)?.orderId ?? "?";
      shop.log(`  read from ${inbox.topic}: ${letter.service}.${letter.method} for ${about}, ${letter.deliveryCount} deliveries, last error ${letter.error.code}: ${letter.error.message}`);
    }
    return { callerError, deadLetters: inbox.letters.map(({ bytes: _bytes, ...letter }) => letter) };
  } finally {
    await inbox.close();
  }
}
