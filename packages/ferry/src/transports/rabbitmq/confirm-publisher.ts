import { QueueFullError, UnavailableError, UnconfirmedError } from "../../core/errors.js";
import type { AmqpChannel, AmqpMessage, AmqpPublishOptions } from "./amqp-api.js";
import type { WriteBatch } from "./write-batch.js";

/** What became of a publish: confirmed, returned (no queue took it: the queue does not exist, or no group is bound), or an error. */
export type PublishOutcome = "confirmed" | "returned" | Error;

interface Pending {
  exchange: string;
  routingKey: string;
  returned: boolean;
  done: (outcome: PublishOutcome) => void;
}

/**
 * Publishes on a confirm channel, every publish mandatory, to a topic's exchange or through the
 * default exchange to a queue by name. RabbitMQ confirms in batches (one ack with `multiple` covers every earlier
 * publish), so many publishes in flight cost few confirm frames; nothing here waits for one
 * publish before sending the next. A returned message (its queue does not exist) comes back
 * before its confirm, and is matched to its publish by the message id, a counter of this
 * channel. When the channel or connection drops, or RabbitMQ blocks the connection for a memory
 * or disk alarm, every publish without a confirm fails with `UnconfirmedError` (retryable: it may
 * or may not have been taken), and publishes fail at once with `UnavailableError` until the
 * channel is back or the alarm clears: never a hang.
 */
export class ConfirmPublisher {
  private channel: AmqpChannel | undefined;
  private batch: WriteBatch | undefined;
  private readonly pending = new Map<string, Pending>();
  private nextTag = 0;
  private blockedReason: string | undefined;

  /** Publishes from now on go to `channel` (a fresh confirm channel after each (re)connect). */
  attach(channel: AmqpChannel, batch: WriteBatch): void {
    this.channel = channel;
    this.batch = batch;
    channel.on("return", (message: AmqpMessage) => {
      const pending = this.pending.get(message.properties.messageId ?? "");
      if (pending !== undefined) pending.returned = true;
    });
    channel.on("close", () => {
      if (this.channel === channel) this.detach("rabbitmq: the publishing channel closed before RabbitMQ confirmed");
    });
  }

  /** The channel is gone: publishes without a confirm fail with `UnconfirmedError`. */
  detach(reason: string): void {
    this.channel = undefined;
    this.failPending(reason);
  }

  /** RabbitMQ blocked the connection (`connection.blocked`: a memory or disk alarm). */
  block(reason: string): void {
    this.blockedReason = reason;
    this.failPending(`rabbitmq: the connection was blocked by RabbitMQ (${reason}) before it confirmed`);
  }

  unblock(): void {
    this.blockedReason = undefined;
  }

  get blocked(): string | undefined {
    return this.blockedReason;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Sends `bytes` to `exchange` with `routingKey` (the default exchange `""` and a queue name, or
   * a topic's exchange and a lane); `done` is called once, never synchronously.
   */
  publish(exchange: string, routingKey: string, bytes: Uint8Array, options: AmqpPublishOptions, done: (outcome: PublishOutcome) => void): void {
    const refusal = this.refusal();
    if (refusal !== undefined) {
      queueMicrotask(() => done(refusal));
      return;
    }
    const tag = String(++this.nextTag);
    const pending: Pending = { exchange, routingKey, returned: false, done };
    this.pending.set(tag, pending);
    const content = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    try {
      this.channel!.publish(exchange, routingKey, content, { ...options, mandatory: true, messageId: tag }, (error: unknown) => this.settle(tag, error));
      this.batch?.hold();
    } catch (error) {
      // amqplib throws when the channel closed under it: the publish was not sent.
      this.pending.delete(tag);
      queueMicrotask(() => done(new UnavailableError(`rabbitmq: the publish could not be sent: ${(error as Error).message}`, { cause: error })));
    }
  }

  private refusal(): Error | undefined {
    if (this.blockedReason !== undefined) return new UnavailableError(`rabbitmq: the connection is blocked by RabbitMQ (${this.blockedReason}): publishes fail until the alarm clears`);
    if (this.channel === undefined) return new UnavailableError("rabbitmq: not connected (reconnecting)");
    return undefined;
  }

  private settle(tag: string, error: unknown): void {
    const pending = this.pending.get(tag);
    if (pending === undefined) return;
    this.pending.delete(tag);
    if (error !== null && error !== undefined) {
      // amqplib fails every unconfirmed publish with "channel closed" when the channel goes.
      if ((error as Error).message !== "message nacked") {
        pending.done(new UnconfirmedError(`rabbitmq: the channel closed before RabbitMQ confirmed: ${(error as Error).message}`, { cause: error }));
        return;
      }
      // RabbitMQ nacks a publish when a queue refused it: x-overflow reject-publish on a full queue.
      pending.done(new QueueFullError(`rabbitmq: ${pending.exchange === "" ? `queue ${pending.routingKey}` : `a queue of ${pending.exchange} (${pending.routingKey})`} is full (x-max-length reached, overflow reject): the publish was refused`));
      return;
    }
    pending.done(pending.returned ? "returned" : "confirmed");
  }

  private failPending(reason: string): void {
    const failed = [...this.pending.values()];
    this.pending.clear();
    for (const pending of failed) pending.done(new UnconfirmedError(reason));
  }
}
