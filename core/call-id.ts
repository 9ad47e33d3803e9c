import { randomFillSync } from "node:crypto";
import { v7 as uuidv7 } from "uuid";

// uuid refills a 256-byte pool every 16 ids; a call id is made on every call, so a larger pool
// makes the system call (and its share of the profile) 32 times rarer.
const pool = new Uint8Array(16 * 512);
let offset = pool.length;

function pooledRandom(): Uint8Array {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  return pool.subarray(offset, (offset += 16));
}

/** A new call id: a uuid v7 (time-ordered, so ids sort by when the call was made). */
export function newCallId(): string {
  return uuidv7({ rng: pooledRandom });
}
