import { MalformedMessageError } from "../errors.js";

// Envelopes are written into one scratch buffer (grown on demand) and copied out at their exact
// size: cheaper than sizing each buffer for the worst case, which drains Buffer's allocation pool.
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * Writes flat msgpack: an array of nil, numbers, booleans, strings and bin, which is what
 * envelopes and broker frames are made of. Nested values ride as msgpack inside bin, so they
 * never need a general encoder here. One writer at a time (it uses a shared scratch buffer).
 */
export class FlatWriter {
  private readonly out: Buffer;
  private pos: number;

  /** `prefixBytes` are reserved at the start for `finishFramed` to fill with the length. */
  constructor(maxBytes: number, private readonly prefixBytes = 0) {
    const needed = maxBytes + prefixBytes;
    if (scratch.length < needed) scratch = Buffer.allocUnsafe(Math.max(needed, scratch.length * 2));
    this.out = scratch;
    this.pos = prefixBytes;
  }

  /** Worst-case encoded size of a string (3 UTF-8 bytes per UTF-16 unit, plus a str32 header). */
  static stringSize(value: string | undefined): number {
    return value === undefined ? 1 : value.length * 3 + 5;
  }

  static binSize(value: Uint8Array | undefined): number {
    return value === undefined ? 1 : value.length + 5;
  }

  arrayHeader(length: number): void {
    this.out[this.pos++] = 0xdc;
    this.out[this.pos++] = length >> 8;
    this.out[this.pos++] = length & 0xff;
  }

  nil(): void {
    this.out[this.pos++] = 0xc0;
  }

  trueOrNil(value: boolean): void {
    this.out[this.pos++] = value ? 0xc3 : 0xc0;
  }

  uint(value: number): void {
    if (value < 0x80) {
      this.out[this.pos++] = value;
      return;
    }
    this.out[this.pos++] = 0xce;
    this.out.writeUInt32BE(value >>> 0, this.pos);
    this.pos += 4;
  }

  uintOrNil(value: number | undefined): void {
    if (value === undefined) this.nil();
    else this.uint(value);
  }

  bool(value: boolean): void {
    this.out[this.pos++] = value ? 0xc3 : 0xc2;
  }

  /** A number as an unsigned int when it is one below 2^32, else as float64 (exact up to 2^53). */
  number(value: number): void {
    if (Number.isInteger(value) && value >= 0 && value < 0x1_0000_0000) this.uint(value);
    else this.float(value);
  }

  float(value: number | undefined): void {
    if (value === undefined) return this.nil();
    this.out[this.pos++] = 0xcb;
    this.out.writeDoubleBE(value, this.pos);
    this.pos += 8;
  }

  string(value: string | undefined): void {
    if (value === undefined) return this.nil();
    const length = value.length;
    // ASCII fast path: one byte per character, written directly after a fixstr or str8 header.
    if (length < 0x100) {
      const out = this.out;
      const start = this.pos;
      let pos = start;
      if (length < 32) out[pos++] = 0xa0 | length;
      else {
        out[pos++] = 0xd9;
        out[pos++] = length;
      }
      for (let i = 0; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) return this.utf8String(value);
        out[pos++] = code;
      }
      this.pos = pos;
      return;
    }
    this.utf8String(value);
  }

  private utf8String(value: string): void {
    const byteLength = Buffer.byteLength(value, "utf8");
    this.lengthHeader(byteLength, 0xd9, 0xda, 0xdb, byteLength < 32 ? 0xa0 | byteLength : -1);
    this.pos += this.out.write(value, this.pos, byteLength, "utf8");
  }

  bin(value: Uint8Array | undefined): void {
    if (value === undefined) return this.nil();
    this.lengthHeader(value.length, 0xc4, 0xc5, 0xc6, -1);
    this.out.set(value, this.pos);
    this.pos += value.length;
  }

  /** Writes the header of a str or bin of `length` bytes: `fix` (if >= 0), else 8/16/32-bit. */
  private lengthHeader(length: number, head8: number, head16: number, head32: number, fix: number): void {
    if (fix >= 0) {
      this.out[this.pos++] = fix;
    } else if (length < 0x100) {
      this.out[this.pos++] = head8;
      this.out[this.pos++] = length;
    } else if (length < 0x10000) {
      this.out[this.pos++] = head16;
      this.out.writeUInt16BE(length, this.pos);
      this.pos += 2;
    } else {
      this.out[this.pos++] = head32;
      this.out.writeUInt32BE(length, this.pos);
      this.pos += 4;
    }
  }

  /** The encoded bytes, copied out of the scratch buffer. */
  finish(): Buffer {
    const bytes = Buffer.allocUnsafe(this.pos);
    this.out.copy(bytes, 0, 0, this.pos);
    return bytes;
  }

  /** How many bytes are encoded so far. */
  get length(): number {
    return this.pos;
  }

  /** Copies the encoded bytes to `target` at `offset`, with no buffer in between (valid until the next writer starts). */
  copyTo(target: Buffer, offset: number): void {
    this.out.copy(target, offset, 0, this.pos);
  }

  /** Fills the reserved prefix with the length of what follows (u32 big-endian). */
  writeLengthPrefix(): this {
    this.out.writeUInt32BE(this.pos - this.prefixBytes, 0);
    return this;
  }
}

/** The last string read for a field, so a repeated value is not decoded again. */
export interface StringCache {
  bytes: Uint8Array;
  value: string;
}

/**
 * Reads flat msgpack from untrusted bytes. Every read is bounds-checked, and every unexpected
 * byte is a `MalformedMessageError` naming the field.
 */
export class FlatReader {
  private readonly buf: Buffer;
  private pos = 0;

  /** `what` names the message in errors ("envelope", "frame"). */
  constructor(
    bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  static stringCache(): StringCache {
    return { bytes: new Uint8Array(0), value: "" };
  }

  arrayHeader(): number {
    const head = this.byte("header");
    if (head >= 0x90 && head <= 0x9f) return head & 0x0f;
    if (head === 0xdc) return this.u16("header");
    if (head === 0xdd) return this.u32("header");
    throw new MalformedMessageError(`${this.what}: expected an array`);
  }

  nil(field: string): void {
    if (this.byte(field) !== 0xc0) throw this.malformed(field, "nil");
  }

  bool(field: string): boolean {
    const head = this.byte(field);
    if (head === 0xc3) return true;
    if (head === 0xc2) return false;
    throw this.malformed(field, "a boolean");
  }

  /** Whether the next value is nil (consumed if so). */
  nilNext(): boolean {
    if (this.buf[this.pos] !== 0xc0) return false;
    this.pos++;
    return true;
  }

  trueOrNil(field: string): boolean {
    const head = this.byte(field);
    if (head === 0xc3) return true;
    if (head === 0xc0 || head === 0xc2) return false;
    throw this.malformed(field, "a boolean");
  }

  uintOrNil(field: string): number | undefined {
    const head = this.byte(field);
    if (head <= 0x7f) return head;
    switch (head) {
      case 0xc0: return undefined;
      case 0xcc: return this.byte(field);
      case 0xcd: return this.u16(field);
      case 0xce: return this.u32(field);
      default: throw this.malformed(field, "an unsigned integer");
    }
  }

  number(field: string): number | undefined {
    const head = this.byte(field);
    if (head <= 0x7f) return head;
    if (head >= 0xe0) return head - 0x100;
    let value: number;
    switch (head) {
      case 0xc0: return undefined;
      case 0xca: value = this.buf.readFloatBE(this.advance(4, field)); break;
      case 0xcb: value = this.buf.readDoubleBE(this.advance(8, field)); break;
      case 0xcc: return this.byte(field);
      case 0xcd: return this.u16(field);
      case 0xce: return this.u32(field);
      case 0xcf: value = Number(this.buf.readBigUInt64BE(this.advance(8, field))); break;
      case 0xd0: return this.buf.readInt8(this.advance(1, field));
      case 0xd1: return this.buf.readInt16BE(this.advance(2, field));
      case 0xd2: return this.buf.readInt32BE(this.advance(4, field));
      case 0xd3: value = Number(this.buf.readBigInt64BE(this.advance(8, field))); break;
      default: throw this.malformed(field, "a number");
    }
    if (!Number.isFinite(value)) throw this.malformed(field, "a finite number");
    return value;
  }

  string(field: string, cache?: StringCache): string | undefined {
    const head = this.byte(field);
    let length: number;
    if (head >= 0xa0 && head <= 0xbf) length = head & 0x1f;
    else if (head === 0xc0) return undefined;
    else if (head === 0xd9) length = this.byte(field);
    else if (head === 0xda) length = this.u16(field);
    else if (head === 0xdb) length = this.u32(field);
    else throw this.malformed(field, "a string");
    const start = this.advance(length, field);
    const end = start + length;
    const buf = this.buf;
    if (cache !== undefined && cache.bytes.length === length && sameBytes(cache.bytes, buf, start)) return cache.value;
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (buf[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    const value = buf.toString(ascii ? "latin1" : "utf8", start, end);
    if (cache !== undefined) {
      cache.bytes = Uint8Array.prototype.slice.call(buf, start, end);
      cache.value = value;
    }
    return value;
  }

  /** A view of the bytes (not a copy). */
  bin(field: string): Uint8Array | undefined {
    const head = this.byte(field);
    let length: number;
    if (head === 0xc0) return undefined;
    if (head === 0xc4) length = this.byte(field);
    else if (head === 0xc5) length = this.u16(field);
    else if (head === 0xc6) length = this.u32(field);
    else throw this.malformed(field, "bytes");
    const start = this.advance(length, field);
    return this.buf.subarray(start, start + length);
  }

  end(): void {
    if (this.pos !== this.buf.length) throw new MalformedMessageError(`${this.what}: ${this.buf.length - this.pos} trailing bytes`);
  }

  private byte(field: string): number {
    return this.buf[this.advance(1, field)]!;
  }

  private u16(field: string): number {
    return this.buf.readUInt16BE(this.advance(2, field));
  }

  private u32(field: string): number {
    return this.buf.readUInt32BE(this.advance(4, field));
  }

  /** Claims `length` bytes and returns where they start. */
  private advance(length: number, field: string): number {
    const start = this.pos;
    if (start + length > this.buf.length) throw new MalformedMessageError(`${this.what} field ${field}: truncated`);
    this.pos = start + length;
    return start;
  }

  private malformed(field: string, expected: string): MalformedMessageError {
    return new MalformedMessageError(`${this.what} field ${field}: expected ${expected}`);
  }
}

function sameBytes(cached: Uint8Array, buf: Uint8Array, start: number): boolean {
  for (let i = 0; i < cached.length; i++) if (cached[i] !== buf[start + i]) return false;
  return true;
}
