import type { BrowsePage } from "../core/transport.js";
import { formatPosition, type MessagePosition } from "./message-position.js";
import type { PartitionLog } from "./partition-log.js";

/**
 * Reads up to `limit` messages of a topic's partitions, partition by partition, oldest first,
 * from just after position `after`. Placeholders (removed or lost messages) are skipped, and so
 * are expired messages, which no group will ever be given. Nothing is consumed.
 */
export function browseLogs(logs: readonly PartitionLog[], after: MessagePosition | undefined, limit: number, now: number): BrowsePage {
  const from = after ?? { partition: 0, offset: -1 };
  const messages: BrowsePage["messages"] = [];
  for (let partition = from.partition; partition < logs.length; partition++) {
    const log = logs[partition]!;
    const first = partition === from.partition ? Math.max(from.offset + 1, log.start) : log.start;
    for (let offset = first; offset < log.end; offset++) {
      const message = log.get(offset)!;
      if (message.lost || (message.expiresAt !== undefined && message.expiresAt <= now)) continue;
      messages.push({ id: formatPosition({ partition, offset }), bytes: message.bytes, key: message.key });
      if (messages.length === limit) return { messages, next: formatPosition({ partition, offset }) };
    }
  }
  return { messages, next: undefined };
}
