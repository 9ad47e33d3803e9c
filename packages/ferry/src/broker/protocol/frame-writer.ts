import type { Socket } from "node:net";
import { encodeFrameInPlace } from "./encode-frame.js";
import type { Frame } from "./frame-types.js";

/** A batch past this many bytes is written at once instead of at the end of the tick. */
const EARLY_FLUSH_BYTES = 4096;
/** Frames are encoded into a slab this large, and each batch goes out as a view of it. */
const SLAB_BYTES = 16 * 1024;

/**
 * Queues frames and writes everything queued in one event-loop turn as a single socket write,
 * so a burst of small frames (deliveries, confirms, replies) costs one system call.
 *
 * Frames are copied straight into a slab, and a batch is written as a view of it: no buffer per
 * frame and no concatenation. A region once written is never touched again (the socket may hold
 * it until the kernel takes it); a full slab is left to those writes and a new one begins.
 */
export class FrameWriter {
  private slab: Buffer | undefined;
  /** The unwritten batch is `slab[start, end)`. */
  private start = 0;
  private end = 0;
  private scheduled = false;

  /** `beforeFlush` may `append` frames that should ride with whatever goes out next. */
  constructor(
    private readonly socket: Socket,
    private readonly beforeFlush?: () => void,
  ) {}

  /** Queues a frame without scheduling or flushing: for `beforeFlush`. */
  append(frame: Frame): void {
    const encoded = encodeFrameInPlace(frame);
    if (this.slab === undefined || this.end + encoded.length > this.slab.length) this.newSlab(encoded.length);
    encoded.copyTo(this.slab!, this.end);
    this.end += encoded.length;
  }

  send(frame: Frame): void {
    this.append(frame);
    // A large batch goes out in parts, so the next process starts on the first part while this
    // one encodes the rest (one write per tick makes every call in flight move as one wave).
    if (this.end - this.start >= EARLY_FLUSH_BYTES) return this.flush();
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(this.flush);
  }

  /** Bytes accepted but not yet taken by the kernel: what a slow reader makes grow. */
  get bufferedBytes(): number {
    return this.end - this.start + this.socket.writableLength;
  }

  readonly flush = (): void => {
    this.scheduled = false;
    this.beforeFlush?.();
    if (this.end === this.start) return;
    const batch = this.slab!.subarray(this.start, this.end);
    this.start = this.end;
    // A slab grown for a large frame is not kept: an idle connection holds at most SLAB_BYTES.
    if (this.slab!.length > SLAB_BYTES) this.dropSlab();
    if (!this.socket.destroyed) this.socket.write(batch);
  };

  private dropSlab(): void {
    this.slab = undefined;
    this.start = 0;
    this.end = 0;
  }

  /** Starts a slab with room for the unwritten batch plus `needed` bytes, and moves the batch over. */
  private newSlab(needed: number): void {
    const pending = this.end - this.start;
    const slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, pending + needed));
    if (pending > 0) this.slab!.copy(slab, 0, this.start, this.end);
    this.slab = slab;
    this.start = 0;
    this.end = pending;
  }
}
