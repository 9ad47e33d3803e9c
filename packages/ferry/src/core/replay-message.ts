import type { DeadLetterRecord } from "./dead-letters.js";
import { decodeEnvelope, encodeEnvelope } from "./wire/envelope.js";

/**
 * The message a replay publishes: the dead letter's request as it was sent, with the same call
 * id, idempotency key, partition key, attempt and headers, so a server whose idempotency store
 * already holds its outcome replays that instead of running the handler again. Left out: the
 * deadline (long past: a server would drop the request as expired), and the caller's reply queue,
 * correlation id and cancel notice (that caller gave up long ago; the server sends no reply).
 */
export function replayMessage(record: DeadLetterRecord): Uint8Array {
  const envelope = decodeEnvelope(record.bytes);
  delete envelope.deadline;
  delete envelope.replyTo;
  delete envelope.correlationId;
  delete envelope.cancellable;
  return encodeEnvelope(envelope);
}
