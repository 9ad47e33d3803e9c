import { decodeValue, encodeValue } from "./codec.js";
import { MalformedMessageError } from "../errors.js";

/** What a dead-letter topic (`<topic>.dlq`) carries: the original message and why it gave up. */
export interface DeadLetter {
  /** Topic, partition and offset the message was published to. */
  origin: { topic: string; partition: number; offset: number };
  key: string | undefined;
  /** Deliveries made before giving up. */
  deliveryCount: number;
  /** The last failure: the handler's error, else why the broker gave up (`ErrorCode.AckTimeout`, `ConsumerLeft`, `ConsumerError` or `Nacked`). */
  error: { code: string; message: string };
  /** Epoch ms. */
  deadLetteredAt: number;
  /** The original message bytes, untouched. */
  bytes: Uint8Array;
}

export function encodeDeadLetter(deadLetter: DeadLetter): Uint8Array {
  return encodeValue({ ...deadLetter, key: deadLetter.key ?? null });
}

export function decodeDeadLetter(bytes: Uint8Array): DeadLetter {
  const value = decodeValue(bytes) as Partial<Record<keyof DeadLetter, unknown>> | null;
  if (typeof value !== "object" || value === null || !(value.bytes instanceof Uint8Array) || typeof value.origin !== "object") {
    throw new MalformedMessageError("not a dead letter record");
  }
  return { ...(value as unknown as DeadLetter), key: typeof value.key === "string" ? value.key : undefined };
}
