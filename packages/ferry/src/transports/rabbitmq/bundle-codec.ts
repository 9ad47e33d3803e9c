import { MalformedMessageError } from "../../core/errors.js";

/** One publish carried in a bundle: its bytes and the metadata a lone message carries in its headers. */
export interface BundleItem {
  bytes: Uint8Array;
  /** The partition (ordering) key (`x-ferry-key` on a lone message). */
  key?: string | undefined;
  /** Epoch ms after which the item is dropped at dequeue (`x-ferry-expires-at` on a lone message). */
  expiresAt?: number | undefined;
}

const hasKey = 1;
const hasExpiresAt = 2;

/**
 * Bytes an item adds to a bundle besides its own bytes and key: a flags byte, the key's length
 * (u32), the deadline (f64) and the bytes' length (u32).
 */
export const bundleItemOverhead = 17;

/**
 * The body of a bundle: each item in order as a flags byte (1: a key follows, 2: a deadline
 * follows), then the key (u32 length, UTF-8), the deadline (f64 epoch ms), and the bytes (u32
 * length). The item count travels in the `x-ferry-bundle` header; a flat layout, so reading it
 * is a bounds-checked walk with no decoder library in the way.
 */
export function encodeBundle(items: readonly BundleItem[]): Buffer {
  const keys = items.map((item) => (item.key === undefined ? undefined : Buffer.from(item.key)));
  let size = 0;
  items.forEach((item, index) => (size += 5 + (keys[index] === undefined ? 0 : 4 + keys[index]!.length) + (item.expiresAt === undefined ? 0 : 8) + item.bytes.length));
  const body = Buffer.allocUnsafe(size);
  let at = 0;
  items.forEach((item, index) => {
    const key = keys[index];
    body[at++] = (key === undefined ? 0 : hasKey) | (item.expiresAt === undefined ? 0 : hasExpiresAt);
    if (key !== undefined) {
      at = body.writeUInt32BE(key.length, at);
      at += key.copy(body, at);
    }
    if (item.expiresAt !== undefined) at = body.writeDoubleBE(item.expiresAt, at);
    at = body.writeUInt32BE(item.bytes.length, at);
    body.set(item.bytes, at);
    at += item.bytes.length;
  });
  return body;
}

/**
 * The `count` items of a bundle body, each `bytes` a view into `body` (no copy). Anything but
 * exactly `count` well-formed items filling the body is a `MalformedMessageError` naming what
 * was wrong and where.
 */
export function decodeBundle(body: Buffer, count: number): BundleItem[] {
  if (!Number.isInteger(count) || count < 1) throw new MalformedMessageError(`rabbitmq: a bundle must hold at least one item, its header says ${String(count)}`);
  const items: BundleItem[] = [];
  let at = 0;
  const need = (bytes: number, what: string): void => {
    if (at + bytes > body.length) throw new MalformedMessageError(`rabbitmq: bundle item ${items.length + 1} of ${count} is cut short: its ${what} needs ${bytes} bytes at offset ${at}, the body has ${body.length}`);
  };
  while (items.length < count) {
    need(1, "flags");
    const flags = body[at++]!;
    if ((flags & ~(hasKey | hasExpiresAt)) !== 0) throw new MalformedMessageError(`rabbitmq: bundle item ${items.length + 1} of ${count} has unknown flags ${flags} at offset ${at - 1}`);
    const item: BundleItem = { bytes: body };
    if ((flags & hasKey) !== 0) {
      need(4, "key length");
      const length = body.readUInt32BE(at);
      at += 4;
      need(length, "key");
      item.key = body.toString("utf8", at, at + length);
      at += length;
    }
    if ((flags & hasExpiresAt) !== 0) {
      need(8, "deadline");
      item.expiresAt = body.readDoubleBE(at);
      at += 8;
    }
    need(4, "length");
    const length = body.readUInt32BE(at);
    at += 4;
    need(length, "bytes");
    item.bytes = body.subarray(at, at + length);
    at += length;
    items.push(item);
  }
  if (at !== body.length) throw new MalformedMessageError(`rabbitmq: a bundle of ${count} items has ${body.length - at} bytes left over after its last item`);
  return items;
}
