import { decodeDeadLetter, type DeadLetter } from "./wire/dead-letter.js";
import { decodeValue, defaultDecodeLimits, type DecodeLimits } from "./wire/codec.js";
import { decodeEnvelope, MessageKind } from "./wire/envelope.js";

/** A dead letter, read: why the broker gave up on a message, and the call or event it carried. */
export interface DeadLetterRecord {
  /** Topic, partition and offset the message was first published to. */
  origin: { topic: string; partition: number; offset: number };
  /** Deliveries made before the broker gave up. */
  deliveryCount: number;
  /** The last failure: the handler's error code and message, or `ACK_TIMEOUT`, `NACKED`, ... */
  error: { code: string; message: string };
  /** When it was dead-lettered, epoch ms. */
  deadLetteredAt: number;
  /** `call` for a request, `event` for a fire-and-forget event; undefined when unreadable. */
  kind: "call" | "event" | undefined;
  service: string | undefined;
  method: string | undefined;
  /** The request (or event payload), decoded; undefined when it had none or could not be read. */
  request: unknown;
  /** The call id, the same on every attempt of one call. */
  callId: string | undefined;
  idempotencyKey: string | undefined;
  /** The partition (ordering) key. */
  key: string | undefined;
  headers: Readonly<Record<string, string>>;
  /**
   * Why the message itself could not be read (it was dead-lettered as malformed); undefined when
   * `kind`, `service`, `method` and `request` hold what was sent.
   */
  unreadable: string | undefined;
  /** The original message, byte for byte: what to publish again to replay it. */
  bytes: Uint8Array;
}

/**
 * Reads a message of a dead-letter topic (`deadLetterTopic(service)`). Throws
 * `MalformedMessageError` when `bytes` is not a dead letter at all; a dead letter whose original
 * message is malformed is returned, with `unreadable` saying why.
 */
export function readDeadLetter(bytes: Uint8Array, limits: DecodeLimits = defaultDecodeLimits): DeadLetterRecord {
  const letter = decodeDeadLetter(bytes);
  const record = blankRecord(letter);
  try {
    const envelope = decodeEnvelope(letter.bytes, limits);
    record.kind = envelope.kind === MessageKind.Request ? "call" : envelope.kind === MessageKind.Event ? "event" : undefined;
    record.service = envelope.service;
    record.method = envelope.method;
    record.callId = envelope.id;
    record.idempotencyKey = envelope.idempotencyKey;
    record.key = envelope.key ?? letter.key;
    record.headers = envelope.headers ?? {};
    record.request = envelope.body === undefined ? undefined : decodeValue(envelope.body, limits);
  } catch (error) {
    record.unreadable = error instanceof Error ? error.message : String(error);
  }
  return record;
}

/**
 * What a dead-letter topic holds that is not a dead letter at all (someone published there): a
 * record with no origin, no error and no call, `unreadable` saying why, for a listing to show
 * rather than stop at.
 */
export function unreadableEntry(bytes: Uint8Array, why: string): DeadLetterRecord {
  const record = blankRecord({ origin: { topic: "", partition: 0, offset: 0 }, key: undefined, deliveryCount: 0, error: { code: "", message: "" }, deadLetteredAt: 0, bytes });
  record.unreadable = why;
  return record;
}

/** The record of `letter` before its message is read: nothing known of the call yet. */
function blankRecord(letter: DeadLetter): DeadLetterRecord {
  return {
    origin: letter.origin,
    deliveryCount: letter.deliveryCount,
    error: letter.error,
    deadLetteredAt: letter.deadLetteredAt,
    kind: undefined,
    service: undefined,
    method: undefined,
    request: undefined,
    callId: undefined,
    idempotencyKey: undefined,
    key: letter.key,
    headers: {},
    unreadable: undefined,
    bytes: letter.bytes,
  };
}
