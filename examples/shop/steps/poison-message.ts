import { deadLetterTopic, type DeadLetterRecord, type FerryError } from "../../../packages/ferry/src/index.js";
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
  // Where the broker stores dead letters, they are listed and stay for step 6 to replay; core NATS
  // stores none, so the launcher must be subscribed when it is published.
  const inbox = shop.choice.deadLetterNote === undefined ? undefined : await DeadLetterInbox.open(shop.ferry, "Payments");
  const letters = async (): Promise<DeadLetterRecord[]> => inbox?.letters ?? (await shop.ferry.deadLetters("Payments").list({ method: "charge" }));
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
    await waitFor(`the dead letter in ${deadLetterTopic("Payments")}`, async () => (await letters()).length > 0);
    const read = await letters();
    for (const letter of read) {
      const about = (letter.request as { orderId?: string } | undefined)?.orderId ?? "?";
      shop.log(`  read from ${deadLetterTopic("Payments")}: ${letter.service}.${letter.method} for ${about}, ${letter.deliveryCount} deliveries, last error ${letter.error.code}: ${letter.error.message}`);
    }
    return { callerError, deadLetters: read.map(({ bytes: _bytes, ...letter }) => letter) };
  } finally {
    await inbox?.close();
  }
}
