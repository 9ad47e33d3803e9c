import type { Socket } from "node:net";
import { encodeFrame, type Frame } from "./protocol.js";

/** A batch past this many bytes is written at once instead of at the end of the tick. */
const EARLY_FLUSH_BYTES = 4096;

/**
 * Queues frames and writes everything queued in one event-loop turn as a single socket write,
 * so a burst of small frames (deliveries, confirms, replies) costs one system call.
 */
export class FrameWriter {
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private scheduled = false;

  /** `beforeFlush` may `append` frames that should ride with whatever goes out next. */
  constructor(
    private readonly socket: Socket,
    private readonly beforeFlush?: () => void,
  ) {}

  /** Queues a frame without scheduling or flushing: for `beforeFlush`. */
  append(frame: Frame): void {
    const bytes = encodeFrame(frame);
    this.queued.push(bytes);
    this.queuedBytes += bytes.length;
  }

  send(frame: Frame): void {
    this.append(frame);
    // A large batch goes out in parts, so the next process starts on the first part while this
    // one encodes the rest (one write per tick makes every call in flight move as one wave).
    if (this.queuedBytes >= EARLY_FLUSH_BYTES) return this.flush();
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(this.flush);
  }

  /** Bytes accepted but not yet taken by the kernel: what a slow reader makes grow. */
  get bufferedBytes(): number {
    return this.queuedBytes + this.socket.writableLength;
  }

  readonly flush = (): void => {
    this.scheduled = false;
    this.beforeFlush?.();
    if (this.queued.length === 0) return;
    const data = this.queued.length === 1 ? this.queued[0]! : Buffer.concat(this.queued, this.queuedBytes);
    this.queued = [];
    this.queuedBytes = 0;
    if (!this.socket.destroyed) this.socket.write(data);
  };
}
