import { MalformedMessageError } from "./errors.js";

/**
 * Extension types a Ferry payload may carry: msgpack's timestamp (-1, `Date`), and msgpackr's
 * `undefined` (0) and big integer (0x42, a `bigint` beyond 64 bits). Anything else is refused.
 */
const TIMESTAMP_EXT = -1;
const UNDEFINED_EXT = 0;
const BIGINT_EXT = 0x42;

/**
 * Walks msgpack bytes without decoding them, and throws `MalformedMessageError` unless they hold
 * exactly one well-formed value nested at most `maxDepth` deep. Runs before msgpackr sees
 * untrusted bytes: msgpackr recurses (so deep nesting overflows the stack), pre-sizes arrays from
 * their declared length, and decodes extension types (errors, regexps, records) a payload has no
 * business carrying. The walk is iterative and never allocates in proportion to a declared length.
 */
export function scanMsgpack(bytes: Uint8Array, maxDepth: number): void {
  const end = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // pending[i] = items still expected by the container open at depth i.
  const pending: number[] = [1];
  let pos = 0;

  const fail = (why: string): never => {
    throw new MalformedMessageError(`malformed msgpack at byte ${pos}: ${why}`);
  };
  const need = (n: number): void => {
    if (pos + n > end) fail("truncated");
  };
  const open = (items: number): void => {
    if (items === 0) return;
    // Every item takes at least one byte: a larger count is a lie about the buffer.
    if (items > end - pos) fail(`container claims ${items} items`);
    if (pending.length > maxDepth) fail(`nesting deeper than ${maxDepth}`);
    pending.push(items);
  };
  const skip = (n: number): void => {
    need(n);
    pos += n;
  };

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
    if (b <= 0x8f) open((b & 0x0f) * 2); // fixmap
    else if (b <= 0x9f) open(b & 0x0f); // fixarray
    else if (b <= 0xbf) skip(b & 0x1f); // fixstr
    else
      switch (b) {
        case 0xc0: case 0xc2: case 0xc3: break; // nil, false, true
        case 0xc4: need(1); skip(view.getUint8(pos++)); break; // bin 8
        case 0xc5: need(2); pos += 2; skip(view.getUint16(pos - 2)); break;
        case 0xc6: need(4); pos += 4; skip(view.getUint32(pos - 4)); break;
        case 0xc7: need(2); pos += 2; extension(view.getInt8(pos - 1), view.getUint8(pos - 2)); break;
        case 0xc8: need(3); pos += 3; extension(view.getInt8(pos - 1), view.getUint16(pos - 3)); break;
        case 0xc9: need(5); pos += 5; extension(view.getInt8(pos - 1), view.getUint32(pos - 5)); break;
        case 0xca: skip(4); break; // float 32
        case 0xcb: skip(8); break; // float 64
        case 0xcc: case 0xd0: skip(1); break;
        case 0xcd: case 0xd1: skip(2); break;
        case 0xce: case 0xd2: skip(4); break;
        case 0xcf: case 0xd3: skip(8); break;
        case 0xd4: need(1); extension(view.getInt8(pos++), 1); break; // fixext 1..16
        case 0xd5: need(1); extension(view.getInt8(pos++), 2); break;
        case 0xd6: need(1); extension(view.getInt8(pos++), 4); break;
        case 0xd7: need(1); extension(view.getInt8(pos++), 8); break;
        case 0xd8: need(1); extension(view.getInt8(pos++), 16); break;
        case 0xd9: need(1); skip(view.getUint8(pos++)); break; // str 8
        case 0xda: need(2); pos += 2; skip(view.getUint16(pos - 2)); break;
        case 0xdb: need(4); pos += 4; skip(view.getUint32(pos - 4)); break;
        case 0xdc: need(2); pos += 2; open(view.getUint16(pos - 2)); break; // array 16
        case 0xdd: need(4); pos += 4; open(view.getUint32(pos - 4)); break;
        case 0xde: need(2); pos += 2; open(view.getUint16(pos - 2) * 2); break; // map 16
        case 0xdf: need(4); pos += 4; open(view.getUint32(pos - 4) * 2); break;
        default: pos--; fail(`reserved byte 0x${b.toString(16)}`); // 0xc1
      }
  }
  if (pos !== end) fail(`${end - pos} trailing bytes`);

  function extension(type: number, length: number): void {
    const valid =
      type === TIMESTAMP_EXT ? length === 4 || length === 8 || length === 12
      : type === UNDEFINED_EXT ? length === 1
      : type === BIGINT_EXT;
    if (!valid) fail(`unsupported extension type ${type} of ${length} bytes`);
    skip(length);
  }
}
