import { MalformedMessageError } from "../errors.js";
import { decodeValue, type DecodeLimits } from "../wire/codec.js";

/**
 * The body of a `StreamItems` message: a msgpack array whose elements are the items. It is
 * written by putting an array header before the items' own encodings (each item was encoded alone
 * when the server checked its size, and is never encoded twice), and read with one decode of the
 * whole array, so a batch of items costs one message, one envelope and one decode.
 *
 * Why batches: an item is usually small (a row, a progress event), and what a message costs (the
 * broker's routing, the client library's parsing, the envelope) is paid per message. Sent one by
 * one, 100-byte items over NATS spent most of their time there.
 */

/**
 * Largest batch a server builds, bytes (within the message limit, if that is lower). Batching pays
 * for small items; large ones already fill a message, and a megabyte batch only makes each hop
 * hold and copy more at once. An item larger than this goes alone.
 */
export const maxItemBatchBytes = 64 * 1024;

/** Bytes a batch adds to its items' encodings: the array header, at most. */
export const itemBatchHeaderBytes = 5;

/** The body of a `StreamItems` message holding `items` (each one msgpack value), `bytes` long in all. */
export function encodeItemBatch(items: readonly Uint8Array[], bytes: number): Uint8Array {
  const count = items.length;
  const header = count < 16 ? 1 : count < 0x10000 ? 3 : 5;
  const body = Buffer.allocUnsafe(header + bytes);
  if (header === 1) body[0] = 0x90 | count;
  else if (header === 3) {
    body[0] = 0xdc;
    body.writeUInt16BE(count, 1);
  } else {
    body[0] = 0xdd;
    body.writeUInt32BE(count, 1);
  }
  let offset = header;
  for (const item of items) {
    body.set(item, offset);
    offset += item.length;
  }
  return body;
}

/**
 * The items of a `StreamItems` body, from untrusted bytes: a non-empty array, within `limits`
 * (an item may nest as deep as a lone item could, so the array gets one level more).
 */
export function decodeItemBatch(body: Uint8Array | undefined, limits: DecodeLimits): unknown[] {
  if (body === undefined) throw new MalformedMessageError("a batch of stream items has no body");
  const items = decodeValue(body, { maxBytes: limits.maxBytes, maxDepth: limits.maxDepth + 1 });
  if (!Array.isArray(items) || items.length === 0) throw new MalformedMessageError("a batch of stream items must be a non-empty array");
  return items;
}
