import { randomFillSync } from "node:crypto";

// A call id is made on every call. The uuid package builds a byte array and stringifies it; this
// spells the string directly from a large random pool (one system call per 512 ids).
const pool = new Uint8Array(10 * 512);
let offset = pool.length;
const hexDigits = Buffer.from("0123456789abcdef", "latin1");
/** The id is spelled into this buffer and read out as one string (no chain of concatenations). */
const spelled = Buffer.alloc(36, "-", "latin1");
/** Where each of the 16 bytes of the id goes in its 36 characters (dashes stay in place). */
const at = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

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
  put(0, high >>> 24);
  put(1, high >>> 16);
  put(2, high >>> 8);
  put(3, high);
  put(4, ms >>> 8);
  put(5, ms);
  put(6, 0x70 | (pool[r]! & 0x0f));
  put(7, pool[r + 1]!);
  put(8, 0x80 | (pool[r + 2]! & 0x3f));
  for (let i = 3; i < 10; i++) put(6 + i, pool[r + i]!);
  return spelled.toString("latin1", 0, 36);
}

function put(index: number, byte: number): void {
  const to = at[index]!;
  spelled[to] = hexDigits[(byte >>> 4) & 0x0f]!;
  spelled[to + 1] = hexDigits[byte & 0x0f]!;
}
