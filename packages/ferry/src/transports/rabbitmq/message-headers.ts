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
