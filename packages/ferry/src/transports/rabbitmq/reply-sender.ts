import type { AmqpChannel, AmqpMessage } from "./amqp-api.js";
import { encodeBundle, type BundleItem } from "./bundle-codec.js";
import { Header, headerNumber } from "./message-headers.js";
import { TurnBundler, type BundleLimits } from "./turn-bundler.js";

/**
 * Sends replies to clients' reply queues: at most once, unconfirmed, `mandatory`, so a reply to a
 * queue that no longer exists comes back and is counted in `dropped`. The replies of one turn to
 * one queue go as one message (see `TurnBundler`), which the reply queue splits. A member's ack
 * waits for `afterReplies`, so it never goes out ahead of the reply it follows.
 */
export class ReplySender {
  dropped = 0;
  private channel: AmqpChannel | undefined;
  private readonly bundler: TurnBundler<BundleItem> | undefined;

  /** `written` is called after each publish (the connection gathers the turn's writes). Without `limits` each reply goes at once, on its own. */
  constructor(
    limits: BundleLimits | undefined,
    private readonly written: () => void,
  ) {
    if (limits !== undefined) this.bundler = new TurnBundler(limits, (queue, items) => this.publish(queue, items));
  }

  /** Replies go on `channel` from now on (undefined: not connected, replies are dropped). */
  attach(channel: AmqpChannel | undefined): void {
    this.bundler?.sendAll();
    this.channel = channel;
    channel?.on("return", (message: AmqpMessage) => (this.dropped += headerNumber(message, Header.Bundle) ?? 1));
  }

  send(queue: string, bytes: Uint8Array): void {
    if (this.channel === undefined) {
      this.dropped++;
      return;
    }
    if (this.bundler === undefined) this.publish(queue, [{ bytes }]);
    else this.bundler.add(queue, { bytes });
  }

  /**
   * Sends the replies still waiting for the end of their turn, then closes the channel, which
   * first writes everything it holds: amqplib drops the frames a channel has not written yet when
   * its connection closes (a drained handler's reply, a stream's `Cancel` were lost that way).
   */
  async close(): Promise<void> {
    this.bundler?.sendAll();
    const channel = this.channel;
    this.channel = undefined;
    await channel?.close().catch(() => undefined);
  }

  /** Runs `action` once the replies sent so far in this turn are written to the socket's queue. */
  afterReplies(action: () => void): void {
    if (this.bundler === undefined) action();
    else this.bundler.afterSends(action);
  }

  private publish(queue: string, items: BundleItem[]): void {
    if (this.channel === undefined) {
      this.dropped += items.length;
      return;
    }
    try {
      if (items.length === 1) this.channel.publish("", queue, toBuffer(items[0]!.bytes), { mandatory: true });
      else this.channel.publish("", queue, encodeBundle(items), { mandatory: true, headers: { [Header.Bundle]: items.length } });
      this.written();
    } catch {
      this.dropped += items.length;
    }
  }
}

export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
