import type { Clock } from "../../core/clock.js";
import { ErrorCode } from "../../core/errors.js";
import type { Delivery, GroupPartitionStats } from "../../core/transport.js";
import type { DeadLetter } from "../../core/wire/dead-letter.js";
import { KeyGate } from "../nats/key-gate.js";
import type { AmqpChannel, AmqpConnection, AmqpMessage } from "./amqp-api.js";
import { Header, headerNumber, headerString } from "./message-headers.js";
import type { Lane } from "./queue-layout.js";

export interface LaneConsumerSettings {
  topic: string;
  group: string;
  /** Every queue this member takes from: the keyed partitions and unkeyed lane of each set it serves. */
  lanes: Lane[];
  /**
   * Deliveries handled at once over all its queues. RabbitMQ gets it as each queue's `basic.qos`
   * (quorum queues refuse the channel-wide `global` kind), and the member hands at most this many
   * to the handler at once, the rest waiting here in arrival order.
   */
  prefetch: number;
  ordered: boolean;
  maxDeliveries: number;
  /** Stores a dead letter (confirmed) in the topic's dead-letter queue. */
  deadLetter: (record: DeadLetter) => Promise<void>;
  /** Called after each ack: the connection gathers the turn's writes into one (`WriteBatch`). */
  writes: () => void;
  clock: Clock;
}

/** A delivery being handled or waiting for redelivery, with the channel it came on. */
interface Held {
  message: AmqpMessage;
  channel: AmqpChannel;
  lane: Lane;
  key: string | undefined;
  deliveryCount: number;
}

/**
 * One member of a topic's consumer group: a channel of its own consuming every queue it serves.
 * Acks are manual and sent once the handler is done (after its reply). A nack keeps the message
 * unacknowledged and hands it to the handler again after the delay, so a later message of its key
 * (held back by the key gate) never overtakes it; the last allowed nack, or a reject, writes a
 * dead letter, then acks. A message past its deadline is acked unhandled and counted. Closing the
 * channel (leaving, or a lost connection) gives everything unacknowledged back to RabbitMQ, which
 * redelivers it.
 */
export class LaneConsumer {
  private channel: AmqpChannel | undefined;
  private readonly gate = new KeyGate<Held>();
  /** Admitted past the key gate, waiting for a handler slot (`prefetch` at once). */
  private readonly waiting: Held[] = [];
  private running = 0;
  private readonly timers = new Set<unknown>();
  private readonly counters: GroupPartitionStats[];
  private closed = false;

  constructor(
    readonly settings: LaneConsumerSettings,
    private readonly onDelivery: (delivery: Delivery) => void,
  ) {
    const partitions = Math.max(...settings.lanes.map((lane) => lane.partition)) + 1;
    this.counters = Array.from({ length: partitions }, (_, partition) => ({ partition, owner: undefined, lag: 0, inFlight: 0, redeliveries: 0, deadLettered: 0, expired: 0 }));
  }

  /** Opens a channel on `connection` and consumes every lane; `lost` is called if the channel closes under it. */
  async start(connection: AmqpConnection, lost: () => void): Promise<void> {
    const channel = await connection.createChannel();
    channel.on("error", () => undefined);
    channel.on("close", () => {
      if (this.channel === channel && !this.closed) {
        this.detach();
        lost();
      }
    });
    this.channel = channel;
    await channel.prefetch(this.settings.prefetch, false);
    for (const lane of this.settings.lanes) await channel.consume(lane.queue, (message) => message !== null && this.receive(message, lane, channel), { noAck: false });
  }

  /** The channel is gone (the connection dropped): what it held is RabbitMQ's again. */
  detach(): void {
    this.channel = undefined;
    this.gate.drain();
    this.waiting.length = 0;
    this.running = 0;
    for (const timer of this.timers) this.settings.clock.clearTimeout(timer);
    this.timers.clear();
    for (const counter of this.counters) counter.inFlight = 0;
  }

  /** Leaves the group: closing the channel hands every unacknowledged delivery back to RabbitMQ. */
  async close(): Promise<void> {
    this.closed = true;
    const channel = this.channel;
    this.detach();
    await channel?.close().catch(() => undefined);
  }

  stats(partition: number): GroupPartitionStats {
    return { ...this.counters[partition]! };
  }

  private receive(message: AmqpMessage, lane: Lane, channel: AmqpChannel): void {
    const expiresAt = headerNumber(message, Header.ExpiresAt);
    if (expiresAt !== undefined && this.settings.clock.now() > expiresAt) {
      channel.ack(message);
      this.counters[lane.partition]!.expired++;
      return;
    }
    // Quorum queues count earlier deliveries; a classic queue only says whether there was one.
    const earlier = headerNumber(message, Header.DeliveryCount) ?? (message.fields.redelivered ? 1 : 0);
    const held: Held = { message, channel, lane, key: headerString(message, Header.Key), deliveryCount: earlier + 1 };
    if (this.settings.ordered && held.key !== undefined && !this.gate.enter(held.key, held)) return;
    this.admit(held);
  }

  /** Runs `held` when a handler slot is free, else queues it for the next one. */
  private admit(held: Held): void {
    if (this.running >= this.settings.prefetch) {
      this.waiting.push(held);
      return;
    }
    this.running++;
    this.dispatch(held);
  }

  /** A handler slot is free: the next waiting delivery takes it. */
  private freeSlot(): void {
    this.running--;
    const next = this.waiting.shift();
    if (next !== undefined) this.admit(next);
  }

  private dispatch(held: Held): void {
    this.counters[held.lane.partition]!.inFlight++;
    let settled = false;
    const settle = (): boolean => {
      if (settled || held.channel !== this.channel) return false;
      settled = true;
      this.counters[held.lane.partition]!.inFlight--;
      return true;
    };
    this.onDelivery({
      bytes: held.message.content,
      topic: this.settings.topic,
      partition: held.lane.partition,
      offset: held.message.fields.deliveryTag,
      deliveryCount: held.deliveryCount,
      maxDeliveries: this.settings.maxDeliveries,
      key: held.key,
      ack: () => settle() && this.finish(held),
      nack: (options = {}) => {
        if (!settle()) return;
        if (held.deliveryCount >= this.settings.maxDeliveries) {
          this.deadLetter(held, options.error ?? { code: ErrorCode.Nacked, message: `nacked on delivery ${held.deliveryCount} of ${this.settings.maxDeliveries}` });
          return;
        }
        this.counters[held.lane.partition]!.redeliveries++;
        const timer = this.settings.clock.setTimeout(() => {
          this.timers.delete(timer);
          if (held.channel === this.channel) this.dispatch({ ...held, deliveryCount: held.deliveryCount + 1 });
        }, options.delayMs ?? 0);
        this.timers.add(timer);
      },
      reject: (error) => settle() && this.deadLetter(held, error),
    });
  }

  /** Acks (on the channel it came on: an ack on a channel since closed is stale) and lets the key's next message run. */
  private finish(held: Held): void {
    if (held.channel === this.channel) {
      held.channel.ack(held.message);
      this.settings.writes();
    }
    this.release(held);
  }

  private release(held: Held): void {
    if (held.channel !== this.channel) return;
    this.freeSlot();
    if (this.settings.ordered && held.key !== undefined) {
      const next = this.gate.leave(held.key);
      if (next !== undefined) this.admit(next);
    }
  }

  private deadLetter(held: Held, error: { code: string; message: string }): void {
    const record: DeadLetter = {
      origin: { topic: this.settings.topic, partition: held.lane.partition, offset: held.message.fields.deliveryTag },
      key: held.key,
      deliveryCount: held.deliveryCount,
      error,
      deadLetteredAt: this.settings.clock.now(),
      bytes: held.message.content,
    };
    this.settings.deadLetter(record).then(
      () => {
        this.counters[held.lane.partition]!.deadLettered++;
        this.finish(held);
      },
      () => {
        // Not stored: the message goes back to RabbitMQ rather than being lost.
        if (held.channel === this.channel) held.channel.nack(held.message, false, true);
        this.release(held);
      },
    );
  }
}
