import type { Clock } from "../../core/clock.js";
import type { Delivery } from "../../core/transport.js";
import type { AmqpChannel, AmqpConnection } from "./amqp-api.js";
import { deadLetterBytes } from "./message-headers.js";

export interface DeadLetterConsumerSettings {
  /** The dead-letter topic (`<topic>.dlq`). */
  topic: string;
  queue: string;
  prefetch: number;
  /** The topic and partition a queue name of the original topic stands for. */
  originOf: (queue: string) => { topic: string; partition: number };
  clock: Clock;
}

/**
 * A reader of a topic's dead-letter queue. Every delivery's bytes are a Ferry dead-letter record
 * (`readDeadLetter` reads it), whether a member wrote it or RabbitMQ dead-lettered the message
 * itself (see `deadLetterBytes`). Ack removes it; nack gives it back; reject drops it.
 */
export class DeadLetterConsumer {
  private channel: AmqpChannel | undefined;

  constructor(
    readonly settings: DeadLetterConsumerSettings,
    private readonly onDelivery: (delivery: Delivery) => void,
  ) {}

  async start(connection: AmqpConnection): Promise<void> {
    const channel = await connection.createChannel();
    channel.on("error", () => undefined);
    this.channel = channel;
    await channel.prefetch(this.settings.prefetch, true);
    await channel.consume(
      this.settings.queue,
      (message) => {
        if (message === null) return;
        const current = (): boolean => this.channel === channel;
        this.onDelivery({
          bytes: deadLetterBytes(message, this.settings.originOf, this.settings.clock.now()),
          topic: this.settings.topic,
          partition: 0,
          offset: message.fields.deliveryTag,
          deliveryCount: message.fields.redelivered ? 2 : 1,
          maxDeliveries: Number.MAX_SAFE_INTEGER,
          key: undefined,
          ack: () => current() && channel.ack(message),
          nack: () => current() && channel.nack(message, false, true),
          reject: () => current() && channel.nack(message, false, false),
        });
      },
      { noAck: false },
    );
  }

  detach(): void {
    this.channel = undefined;
  }

  async close(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    await channel?.close().catch(() => undefined);
  }
}
