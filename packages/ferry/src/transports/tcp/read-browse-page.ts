import type { BrowsePage } from "../../core/transport.js";
import { MalformedMessageError } from "../../core/errors.js";

/**
 * A `BrowsePage` as the broker's `Ok` carries it: msgpack has no `undefined`, so an absent key or
 * `next` arrives as nil. Anything else than a page is a broker bug, said as such.
 */
export function readBrowsePage(result: unknown): BrowsePage {
  const page = result as { messages?: unknown; next?: unknown } | null;
  if (typeof page !== "object" || page === null || !Array.isArray(page.messages)) throw new MalformedMessageError("the broker answered Browse without a page of messages");
  return {
    messages: page.messages.map((entry: { id?: unknown; bytes?: unknown; key?: unknown }) => {
      if (typeof entry?.id !== "string" || !(entry.bytes instanceof Uint8Array)) throw new MalformedMessageError("the broker answered Browse with a message without id or bytes");
      return { id: entry.id, bytes: entry.bytes, key: typeof entry.key === "string" ? entry.key : undefined };
    }),
    next: typeof page.next === "string" ? page.next : undefined,
  };
}
