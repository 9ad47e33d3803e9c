import { MessageStream } from "../../core/message-stream.js";
import type { ReplyQueue } from "../../core/transport.js";
import type { AmqpChannel, AmqpConnection, AmqpMessage } from "./amqp-api.js";
import { decodeBundle } from "./bundle-codec.js";
import { Header, headerNumber } from "./message-headers.js";

/**
 * A reply queue: a queue of its own, exclusive to the connection, consumed without acks. It is
 * named by the client (not `amq.gen-...`), so after a reconnect it is declared again under the
 * same name and replies to calls made before the drop still find it. Chosen over direct reply-to
 * (`amq.rabbitmq.reply-to`), which needs the request published on the very channel that consumes
 * the replies, with the AMQP `reply-to` property, and a name RabbitMQ rewrites per channel: Ferry
 * carries the reply address inside its envelope and opens several reply queues per connection
 * (calls, cancel notices). The cost measured (README, "RabbitMQ") is one queue declare per client.
 */
export class RabbitReplyQueue implements ReplyQueue {
  private readonly stream = new MessageStream<Uint8Array>();
  readonly messages = this.stream.messages;
  private channel: AmqpChannel | undefined;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly onClose: (queue: RabbitReplyQueue) => void,
  ) {}

  /** Declares the queue and consumes it on `connection` (at open, and after each reconnect). */
  async start(connection: AmqpConnection): Promise<void> {
    const channel = await connection.createChannel();
    channel.on("error", () => undefined);
    this.channel = channel;
    await channel.assertQueue(this.name, { exclusive: true, autoDelete: true, durable: false });
    await channel.consume(this.name, (message) => message !== null && !this.closed && this.receive(message), { noAck: true });
  }

  /**
   * A bundle of replies (`ReplySender`) is split into its replies, in order. One that cannot be
   * split is passed on whole: the client cannot read it either and counts it in `malformedReplies`.
   */
  private receive(message: AmqpMessage): void {
    const count = headerNumber(message, Header.Bundle);
    if (count === undefined) return this.stream.push(message.content);
    let replies;
    try {
      replies = decodeBundle(message.content, count);
    } catch {
      return this.stream.push(message.content);
    }
    for (const reply of replies) this.stream.push(reply.bytes);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Closing the channel cancels the consumer: the auto-delete queue goes with it.
    void this.channel?.close().catch(() => undefined);
    this.stream.complete();
    this.onClose(this);
  }
}
