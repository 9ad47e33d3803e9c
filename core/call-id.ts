import { randomFillSync } from "node:crypto";

// A call id is made on every call. The uuid package builds a byte array and stringifies it; this
// writes the string directly from a large random pool (one system call per 512 ids).
const pool = new Uint8Array(10 * 512);
let offset = pool.length;
const hex = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/**
 * A new call id: a uuid v7 (RFC 9562), 48 bits of epoch milliseconds then 74 random bits, so
 * ids sort by the time the call was made.
 */
export function newCallId(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const r = offset;
  offset += 10;
  const ms = Date.now();
  const high = Math.floor(ms / 0x10000); // top 32 bits of the 48-bit timestamp
  return (
    hex[(high >>> 24) & 0xff]! + hex[(high >>> 16) & 0xff]! + hex[(high >>> 8) & 0xff]! + hex[high & 0xff]! +
    "-" + hex[(ms >>> 8) & 0xff]! + hex[ms & 0xff]! +
    "-" + hex[0x70 | (pool[r]! & 0x0f)]! + hex[pool[r + 1]!]! +
    "-" + hex[0x80 | (pool[r + 2]! & 0x3f)]! + hex[pool[r + 3]!]! +
    "-" + hex[pool[r + 4]!]! + hex[pool[r + 5]!]! + hex[pool[r + 6]!]! + hex[pool[r + 7]!]! + hex[pool[r + 8]!]! + hex[pool[r + 9]!]!
  );
}
