import { MalformedMessageError } from "../errors.js";

/**
 * Extension types a Ferry payload may carry: msgpack's timestamp (-1, `Date`), and msgpackr's
 * `undefined` (0) and big integer (0x42, a `bigint` beyond 64 bits). Anything else is refused.
 */
const TIMESTAMP_EXT = 0xff;
const UNDEFINED_EXT = 0x00;
const BIGINT_EXT = 0x42;

// The walk runs on every message, so its state lives here rather than in per-call closures
// (JavaScript is single-threaded and the walk never re-enters itself).
const empty = new Uint8Array(0);
let bytes: Uint8Array = empty;
let pos = 0;
const pending: number[] = [];
let mapEntries = 0;

/**
 * Walks msgpack bytes without decoding them, and throws `MalformedMessageError` unless they hold
 * exactly one well-formed value nested at most `maxDepth` deep. Runs before msgpackr sees
 * untrusted bytes: msgpackr recurses (so deep nesting overflows the stack), pre-sizes arrays from
 * their declared length, and decodes extension types (errors, regexps, records) a payload has no
 * business carrying. The walk is iterative and never allocates in proportion to a declared length.
 *
 * Returns the number of entries of every map in the value: a generated validator that finds as
 * many declared properties knows there is no other one without visiting each object's keys.
 */
export function scanMsgpack(input: Uint8Array, maxDepth: number): number {
  bytes = input;
  pos = 0;
  mapEntries = 0;
  pending.length = 0;
  pending.push(1);
  try {
    walk(maxDepth);
    if (pos !== bytes.length) fail(`${bytes.length - pos} trailing bytes`);
    return mapEntries;
  } finally {
    bytes = empty; // do not keep the last message alive
  }
}

function walk(maxDepth: number): void {
  while (pending.length > 0) {
    const top = pending.length - 1;
    if (pending[top] === 0) {
      pending.pop();
      continue;
    }
    pending[top]!--;
    need(1);
    const b = bytes[pos++]!;
    if (b <= 0x7f || b >= 0xe0) continue; // fixint
    if (b <= 0x8f) openMap(b & 0x0f, maxDepth); // fixmap
    else if (b <= 0x9f) open(b & 0x0f, maxDepth); // fixarray
    else if (b <= 0xbf) skip(b & 0x1f); // fixstr
    else
      switch (b) {
        case 0xc0: case 0xc2: case 0xc3: break; // nil, false, true
        case 0xc4: case 0xd9: skip(uint(1)); break; // bin 8, str 8
        case 0xc5: case 0xda: skip(uint(2)); break;
        case 0xc6: case 0xdb: skip(uint(4)); break;
        case 0xc7: extension(uint(1)); break; // ext 8/16/32: length, then type
        case 0xc8: extension(uint(2)); break;
        case 0xc9: extension(uint(4)); break;
        case 0xca: skip(4); break; // float 32
        case 0xcb: skip(8); break; // float 64
        case 0xcc: case 0xd0: skip(1); break;
        case 0xcd: case 0xd1: skip(2); break;
        case 0xce: case 0xd2: skip(4); break;
        case 0xcf: case 0xd3: skip(8); break;
        case 0xd4: extension(1); break; // fixext 1..16
        case 0xd5: extension(2); break;
        case 0xd6: extension(4); break;
        case 0xd7: extension(8); break;
        case 0xd8: extension(16); break;
        case 0xdc: open(uint(2), maxDepth); break; // array 16/32
        case 0xdd: open(uint(4), maxDepth); break;
        case 0xde: openMap(uint(2), maxDepth); break; // map 16/32
        case 0xdf: openMap(uint(4), maxDepth); break;
        default: pos--; fail(`reserved byte 0x${b.toString(16)}`); // 0xc1
      }
  }
}

function need(n: number): void {
  if (pos + n > bytes.length) fail("truncated");
}

/** Reads a big-endian unsigned integer of `size` bytes. */
function uint(size: number): number {
  need(size);
  let value = 0;
  for (let i = 0; i < size; i++) value = value * 256 + bytes[pos++]!;
  return value;
}

function skip(n: number): void {
  need(n);
  pos += n;
}

function open(items: number, maxDepth: number): void {
  if (items === 0) return;
  // Every item takes at least one byte: a larger count is a lie about the buffer.
  if (items > bytes.length - pos) fail(`container claims ${items} items`);
  if (pending.length > maxDepth) fail(`nesting deeper than ${maxDepth}`);
  pending.push(items);
}

function openMap(entries: number, maxDepth: number): void {
  open(entries * 2, maxDepth);
  mapEntries += entries;
}

function extension(length: number): void {
  const type = uint(1);
  const valid =
    type === TIMESTAMP_EXT ? length === 4 || length === 8 || length === 12
    : type === UNDEFINED_EXT ? length === 1
    : type === BIGINT_EXT;
  if (!valid) fail(`unsupported extension type ${type << 24 >> 24} of ${length} bytes`);
  skip(length);
}

function fail(why: string): never {
  throw new MalformedMessageError(`malformed msgpack at byte ${pos}: ${why}`);
}
