import { ErrorCode } from "../../core/errors.js";
import { encodeDeadLetter } from "../../core/wire/dead-letter.js";
import type { AmqpMessage } from "./amqp-api.js";

/** The AMQP headers Ferry sets on a message. */
export const Header = {
  /** The partition (ordering) key. */
  Key: "x-ferry-key",
  /** Epoch ms after which the message is dropped at dequeue. */
  ExpiresAt: "x-ferry-expires-at",
  /** Set on a message of `<topic>.dlq` whose body is already a Ferry dead-letter record. */
  DeadLetter: "x-ferry-dead-letter",
  /** The id `browse` and `remove` know a dead letter a member wrote by (a UUID). */
  DeadLetterId: "x-ferry-dead-letter-id",
  /** Set on a message that carries several (a bundle: see `TurnBundler`): how many. */
  Bundle: "x-ferry-bundle",
  /** RabbitMQ's count of earlier deliveries of a quorum queue message. */
  DeliveryCount: "x-delivery-count",
} as const;

export function headerString(message: AmqpMessage, name: string): string | undefined {
  const value = message.properties.headers?.[name];
  return typeof value === "string" ? value : Buffer.isBuffer(value) ? value.toString() : undefined;
}

export function headerNumber(message: AmqpMessage, name: string): number | undefined {
  const value = message.properties.headers?.[name];
  return typeof value === "number" ? value : typeof value === "bigint" ? Number(value) : undefined;
}

/** The headers of a publish, or undefined when there are none (the common unkeyed call pays nothing). */
export function publishHeaders(key: string | undefined, expiresAt: number | undefined): Record<string, unknown> | undefined {
  if (key === undefined && expiresAt === undefined) return undefined;
  const headers: Record<string, unknown> = {};
  if (key !== undefined) headers[Header.Key] = key;
  if (expiresAt !== undefined) headers[Header.ExpiresAt] = expiresAt;
  return headers;
}

/**
 * A message of a dead-letter queue as a Ferry dead-letter record. Most carry one already (a member
 * gave up on the message and wrote the record, marked with `x-ferry-dead-letter`). The others were
 * dead-lettered by RabbitMQ itself, when a quorum queue's delivery limit was reached because
 * members died or left holding it: their body is the original message, and RabbitMQ's `x-death`
 * header says from which queue and how often; the record is built from those.
 */
export function deadLetterBytes(message: AmqpMessage, originOf: (queue: string) => { topic: string; partition: number }, now: number): Uint8Array {
  if (message.properties.headers?.[Header.DeadLetter] !== undefined) return message.content;
  const deaths = message.properties.headers?.["x-death"];
  const death = Array.isArray(deaths) ? (deaths[0] as Record<string, unknown>) : undefined;
  const queue = typeof death?.queue === "string" ? death.queue : "";
  const count = headerNumber(message, Header.DeliveryCount);
  return encodeDeadLetter({
    origin: { ...originOf(queue), offset: 0 },
    key: headerString(message, Header.Key),
    deliveryCount: count ?? (typeof death?.count === "number" ? death.count : 1),
    error: { code: ErrorCode.ConsumerLeft, message: `RabbitMQ dead-lettered the message: ${String(death?.reason ?? "delivery_limit")} (its consumers left or died while holding it)` },
    deadLetteredAt: typeof death?.time === "object" && death.time !== null && "value" in death.time ? Number((death.time as { value: unknown }).value) * 1000 : now,
    bytes: message.content,
  });
}
