import { createHash } from "node:crypto";
import { ErrorCode } from "../../core/errors.js";
import { encodeDeadLetter } from "../../core/wire/dead-letter.js";
import type { AmqpMessage } from "./amqp-api.js";
import { decodeBundle, type BundleItem } from "./bundle-codec.js";
import { Header, headerNumber, headerString } from "./message-headers.js";

/** One dead letter as `browse`, `remove` and a dead-letter consumer see it: one call. */
export interface DeadLetterEntry {
  /** A member's UUID (`x-ferry-dead-letter-id`), or `r<digest>` for a message RabbitMQ dead-lettered itself, `r<digest>/<index>` for a call of such a bundle. */
  id: string;
  /** A Ferry dead-letter record (`readDeadLetter` reads it). */
  bytes: Uint8Array;
  key: string | undefined;
  /**
   * A call of a bundle that `remove` split, written back to the tail of the queue under the id it
   * had in the bundle: the same id stood at the bundle's place before, so a page cursor tells the
   * two apart (see `RabbitDeadLetterBrowser.browse`).
   */
  moved: boolean;
}

/** The topic and partition a queue name stands for. */
export type OriginOf = (queue: string) => { topic: string; partition: number };

/**
 * The dead letters one message of a dead-letter queue holds. Most messages are one record a
 * member wrote (marked `x-ferry-dead-letter`, with its id). The others RabbitMQ dead-lettered
 * itself, when a quorum queue's delivery limit was reached because members died or left holding
 * the message: their body is the original message, and RabbitMQ's `x-death` header says from
 * which queue and how often; each record is built from those. Such a message may be a durable
 * bundle (`x-ferry-bundle`): it is then one entry per call, each with that call's own bytes and
 * key, named `<digest>/<index>`, so each call can be read, replayed and removed on its own (see
 * `RabbitDeadLetterBrowser.remove`). A bundle that cannot be split stays one entry, whole.
 */
export function deadLetterEntries(message: AmqpMessage, originOf: OriginOf, now: number): DeadLetterEntry[] {
  if (message.properties.headers?.[Header.DeadLetter] !== undefined) {
    const id = headerString(message, Header.DeadLetterId) ?? digestId(message);
    return [{ id, bytes: message.content, key: undefined, moved: id.includes("/") }];
  }
  const deaths = message.properties.headers?.["x-death"];
  const death = Array.isArray(deaths) ? (deaths[0] as Record<string, unknown>) : undefined;
  const queue = typeof death?.queue === "string" ? death.queue : "";
  const count = headerNumber(message, Header.Bundle);
  const what = count === undefined ? "the message" : `the bundle of ${count} calls this one was in`;
  const record = {
    origin: { ...originOf(queue), offset: 0 },
    deliveryCount: headerNumber(message, Header.DeliveryCount) ?? (typeof death?.count === "number" ? death.count : 1),
    error: { code: ErrorCode.ConsumerLeft, message: `RabbitMQ dead-lettered ${what}: ${String(death?.reason ?? "delivery_limit")} (its consumers left or died while holding it)` },
    deadLetteredAt: typeof death?.time === "object" && death.time !== null && "value" in death.time ? Number((death.time as { value: unknown }).value) * 1000 : now,
  };
  const id = digestId(message);
  const lone = (): DeadLetterEntry[] => {
    const key = headerString(message, Header.Key);
    return [{ id, bytes: encodeDeadLetter({ ...record, key, bytes: message.content }), key, moved: false }];
  };
  if (count === undefined) return lone();
  let items: BundleItem[];
  try {
    items = decodeBundle(message.content, count);
  } catch {
    return lone();
  }
  return items.map((item, index) => ({ id: `${id}/${index}`, bytes: encodeDeadLetter({ ...record, key: item.key, bytes: item.bytes }), key: item.key, moved: false }));
}

/**
 * A name for a message RabbitMQ dead-lettered itself, which carries no id of Ferry's: a digest of
 * its body, its `x-death` header and its message id, the same at every read (two identical
 * bodies dead-lettered at the same second from one queue would share it).
 */
function digestId(message: AmqpMessage): string {
  const digest = createHash("sha256");
  digest.update(message.content);
  digest.update(JSON.stringify(message.properties.headers?.["x-death"] ?? null, (_key, value: unknown) => (typeof value === "bigint" ? String(value) : value)));
  digest.update(message.properties.messageId ?? "");
  return `r${digest.digest("hex").slice(0, 32)}`;
}
