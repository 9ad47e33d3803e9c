import { MalformedMessageError, PayloadTooLargeError } from "../../../core/errors.js";

/** Bytes of the length prefix before every frame. */
export const FRAME_HEADER_BYTES = 4;

/**
 * Splits a byte stream into length-prefixed frames (`u32 big-endian length`, then the frame).
 * The length is checked against `maxFrameBytes` as soon as its 4 bytes arrive, before anything
 * is allocated for the frame: a header claiming 4 GiB costs nothing. Partial frames are kept
 * as the chunks that carried them and joined once, when the frame is complete.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Length of the frame being collected, once its header has been read. */
  private expected = -1;

  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds bytes; returns the frames they complete. Throws on a frame over the limit. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < FRAME_HEADER_BYTES) break;
        const length = this.peekLength();
        if (length > this.maxFrameBytes) throw PayloadTooLargeError.of(length, this.maxFrameBytes);
        if (length === 0) throw new MalformedMessageError("empty frame");
        this.consume(FRAME_HEADER_BYTES);
        this.expected = length;
      }
      if (this.buffered < this.expected) break;
      frames.push(this.consume(this.expected));
      this.expected = -1;
    }
    return frames;
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= FRAME_HEADER_BYTES) return first.readUInt32BE(0);
    const header = Buffer.concat(this.chunks, FRAME_HEADER_BYTES);
    return header.readUInt32BE(0);
  }

  /** Removes and returns the next `length` buffered bytes (a view when one chunk holds them). */
  private consume(length: number): Buffer {
    this.buffered -= length;
    const first = this.chunks[0]!;
    if (first.length > length) {
      this.chunks[0] = first.subarray(length);
      return first.subarray(0, length);
    }
    if (first.length === length) {
      this.chunks.shift();
      return first;
    }
    const out = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const chunk = this.chunks[0]!;
      const take = Math.min(chunk.length, length - filled);
      chunk.copy(out, filled, 0, take);
      filled += take;
      if (take === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(take);
    }
    return out;
  }
}
