import type { Clock } from "../../core/clock.js";
import type { Delivery } from "../../core/transport.js";
import type { AmqpChannel, AmqpConnection, AmqpMessage } from "./amqp-api.js";
import { deadLetterEntries, type OriginOf } from "./dead-letter-entries.js";

export interface DeadLetterConsumerSettings {
  /** The dead-letter topic (`<topic>.dlq`). */
  topic: string;
  queue: string;
  prefetch: number;
  /** The topic and partition a queue name of the original topic stands for. */
  originOf: OriginOf;
  clock: Clock;
}

/**
 * A reader of a topic's dead-letter queue. Every delivery's bytes are a Ferry dead-letter record
 * (`readDeadLetter` reads it), whether a member wrote it or RabbitMQ dead-lettered the message
 * itself (see `deadLetterEntries`); a bundle RabbitMQ dead-lettered is one delivery per call.
 * Ack removes it; nack gives it back; reject drops it. The AMQP message is settled once each of
 * its calls is: given back if any was nacked (its other calls come back with it), dropped if each
 * was rejected, else acked.
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
    await channel.consume(this.settings.queue, (message) => message !== null && this.receive(message, channel), { noAck: false });
  }

  detach(): void {
    this.channel = undefined;
  }

  async close(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    await channel?.close().catch(() => undefined);
  }

  private receive(message: AmqpMessage, channel: AmqpChannel): void {
    const entries = deadLetterEntries(message, this.settings.originOf, this.settings.clock.now());
    let unsettled = entries.length;
    let nacked = false;
    let rejected = 0;
    const settle = (outcome: "ack" | "nack" | "reject"): void => {
      if (this.channel !== channel) return;
      nacked ||= outcome === "nack";
      if (outcome === "reject") rejected++;
      if (--unsettled > 0) return;
      if (nacked) channel.nack(message, false, true);
      else if (rejected === entries.length) channel.nack(message, false, false);
      else channel.ack(message);
    };
    for (const entry of entries) {
      let settled = false;
      const once = (outcome: "ack" | "nack" | "reject") => () => {
        if (settled) return;
        settled = true;
        settle(outcome);
      };
      this.onDelivery({
        bytes: entry.bytes,
        topic: this.settings.topic,
        partition: 0,
        offset: message.fields.deliveryTag,
        deliveryCount: message.fields.redelivered ? 2 : 1,
        maxDeliveries: Number.MAX_SAFE_INTEGER,
        key: undefined,
        ack: once("ack"),
        nack: once("nack"),
        reject: once("reject"),
      });
    }
  }
}
