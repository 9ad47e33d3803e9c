import { encodeDeadLetter, type DeadLetter } from "../../core/wire/dead-letter.js";

/** Where a consumer sends a message it gives up on: core publish or JetStream publish to the DLQ stream. */
export type DeadLetterSink = (topic: string, partition: number, record: DeadLetter) => void;

export function deadLetterRecord(
  topic: string,
  partition: number,
  offset: number,
  key: string | undefined,
  deliveryCount: number,
  error: { code: string; message: string },
  bytes: Uint8Array,
  deadLetteredAt: number,
): DeadLetter {
  return { origin: { topic, partition, offset }, key, deliveryCount, error: { code: error.code, message: error.message }, deadLetteredAt, bytes };
}

export { encodeDeadLetter };
