import { MalformedMessageError, PayloadTooLargeError } from "../../core/errors.js";

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
  /** Bytes of `chunks[0]` already consumed: kept as an offset, so a frame costs one view, not three. */
  private head = 0;
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
        const length = this.readLength();
        if (length > this.maxFrameBytes) throw PayloadTooLargeError.of(length, this.maxFrameBytes);
        if (length === 0) throw new MalformedMessageError("empty frame");
        this.expected = length;
      }
      if (this.buffered < this.expected) break;
      frames.push(this.take(this.expected));
      this.expected = -1;
    }
    return frames;
  }

  /** Reads and consumes the 4-byte length header (which may straddle chunks). */
  private readLength(): number {
    const first = this.chunks[0]!;
    if (first.length - this.head >= FRAME_HEADER_BYTES) {
      const length = first.readUInt32BE(this.head);
      this.skip(FRAME_HEADER_BYTES);
      return length;
    }
    return this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
  }

  private skip(length: number): void {
    this.buffered -= length;
    this.head += length;
    if (this.head === this.chunks[0]!.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }

  /** Removes and returns the next `length` buffered bytes (a view when one chunk holds them). */
  private take(length: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length - this.head >= length) {
      const view = first.subarray(this.head, this.head + length);
      this.skip(length);
      return view;
    }
    const out = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const chunk = this.chunks[0]!;
      const take = Math.min(chunk.length - this.head, length - filled);
      chunk.copy(out, filled, this.head, this.head + take);
      filled += take;
      this.skip(take);
    }
    return out;
  }
}
