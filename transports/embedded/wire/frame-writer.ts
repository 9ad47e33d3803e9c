import type { Socket } from "node:net";
import { encodeFrame, type Frame } from "./protocol.js";

/**
 * Queues frames and writes everything queued in one event-loop turn as a single socket write,
 * so a burst of small frames (deliveries, confirms, replies) costs one system call.
 */
export class FrameWriter {
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private scheduled = false;

  constructor(private readonly socket: Socket) {}

  send(frame: Frame): void {
    const bytes = encodeFrame(frame);
    this.queued.push(bytes);
    this.queuedBytes += bytes.length;
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
    if (this.queued.length === 0) return;
    const data = this.queued.length === 1 ? this.queued[0]! : Buffer.concat(this.queued, this.queuedBytes);
    this.queued = [];
    this.queuedBytes = 0;
    if (!this.socket.destroyed) this.socket.write(data);
  };
}
