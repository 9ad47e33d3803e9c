import type { Clock } from "../../core/clock.js";
import { ErrorCode } from "../../core/errors.js";
import type { Delivery, GroupPartitionStats } from "../../core/transport.js";
import type { DeadLetter } from "../../core/wire/dead-letter.js";
import { KeyGate } from "../nats/key-gate.js";
import type { AmqpChannel, AmqpConnection, AmqpMessage } from "./amqp-api.js";
import { decodeBundle, type BundleItem } from "./bundle-codec.js";
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
   * to the handler at once, the rest waiting here in arrival order. `basic.qos` counts AMQP
   * messages, and a bundle is one message of up to `maxBundleItems` calls: so a queue may hand
   * this member up to `prefetch` bundles, whose calls wait here for a handler slot. Counting
   * bundles as their item count would need a qos per message, which AMQP does not have.
   */
  prefetch: number;
  ordered: boolean;
  maxDeliveries: number;
  /** Stores a dead letter (confirmed) in the topic's dead-letter queue. */
  deadLetter: (record: DeadLetter) => Promise<void>;
  /** Called after each ack: the connection gathers the turn's writes into one (`WriteBatch`). */
  writes: () => void;
  /** Runs an ack once the replies sent so far are on their way (`ReplySender`): a reply never follows its ack. */
  afterReplies: (action: () => void) => void;
  clock: Clock;
}

/** An AMQP message as delivered: acked (or handed back) once each call it carries is settled. */
interface Carrier {
  message: AmqpMessage;
  channel: AmqpChannel;
  lane: Lane;
  /** Its calls not yet acked or dead-lettered: 1, or a bundle's count. */
  unsettled: number;
}

/**
 * Pause before writing again a dead letter RabbitMQ did not take (its queue gone, the connection
 * going), ms. The call keeps its handler slot and its key meanwhile.
 */
export const deadLetterRetryMs = 1_000;

/** A call being handled or waiting for redelivery: a message, or one item of a bundle. */
interface Held {
  carrier: Carrier;
  bytes: Uint8Array;
  key: string | undefined;
  deliveryCount: number;
}

/**
 * One member of a topic's consumer group: a channel of its own consuming every queue it serves.
 * Acks are manual and sent once the handler is done (after its reply). A nack keeps the message
 * unacknowledged and hands it to the handler again after the delay, so a later message of its key
 * (held back by the key gate) never overtakes it; the last allowed nack, or a reject, writes a
 * dead letter, then acks. A message past its deadline is acked unhandled and counted. A bundle
 * (`x-ferry-bundle`) is split into its calls, each handled as a message of its own (key, deadline,
 * delivery count, ack, nack, dead letter), and acked once the last is settled; one that cannot be
 * split is dead-lettered whole (`MALFORMED_MESSAGE`). Closing the channel (leaving, or a lost
 * connection) gives everything unacknowledged back to RabbitMQ, which redelivers it: every call of
 * a bundle, those already done included.
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
    // Acks waiting for their turn's replies go out first, on the live channel. Detached, they
    // would be stale, and RabbitMQ would hand calls already answered to another member to run again.
    await new Promise<void>((resolve) => this.settings.afterReplies(resolve));
    const channel = this.channel;
    this.detach();
    await channel?.close().catch(() => undefined);
  }

  stats(partition: number): GroupPartitionStats {
    return { ...this.counters[partition]! };
  }

  private receive(message: AmqpMessage, lane: Lane, channel: AmqpChannel): void {
    // Quorum queues count earlier deliveries; a classic queue only says whether there was one.
    const deliveryCount = (headerNumber(message, Header.DeliveryCount) ?? (message.fields.redelivered ? 1 : 0)) + 1;
    const count = headerNumber(message, Header.Bundle);
    let items: BundleItem[];
    try {
      items = count === undefined ? [{ bytes: message.content, key: headerString(message, Header.Key), expiresAt: headerNumber(message, Header.ExpiresAt) }] : decodeBundle(message.content, count);
    } catch (error) {
      const carrier: Carrier = { message, channel, lane, unsettled: 1 };
      // Every call it held is lost to parsing: one dead letter keeps them all, with the reason.
      this.deadLetter({ carrier, bytes: message.content, key: undefined, deliveryCount }, { code: ErrorCode.MalformedMessage, message: (error as Error).message }, false);
      return;
    }
    const carrier: Carrier = { message, channel, lane, unsettled: items.length };
    for (const item of items) {
      if (item.expiresAt !== undefined && this.settings.clock.now() > item.expiresAt) {
        this.counters[lane.partition]!.expired++;
        this.settle(carrier);
        continue;
      }
      const held: Held = { carrier, bytes: item.bytes, key: item.key, deliveryCount };
      if (this.settings.ordered && held.key !== undefined && !this.gate.enter(held.key, held)) continue;
      this.admit(held);
    }
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
    const { carrier } = held;
    this.counters[carrier.lane.partition]!.inFlight++;
    let settled = false;
    const settle = (): boolean => {
      if (settled || carrier.channel !== this.channel) return false;
      settled = true;
      this.counters[carrier.lane.partition]!.inFlight--;
      return true;
    };
    this.onDelivery({
      bytes: held.bytes,
      topic: this.settings.topic,
      partition: carrier.lane.partition,
      offset: carrier.message.fields.deliveryTag,
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
        this.counters[carrier.lane.partition]!.redeliveries++;
        const timer = this.settings.clock.setTimeout(() => {
          this.timers.delete(timer);
          if (carrier.channel === this.channel) this.dispatch({ ...held, deliveryCount: held.deliveryCount + 1 });
        }, options.delayMs ?? 0);
        this.timers.add(timer);
      },
      reject: (error) => settle() && this.deadLetter(held, error),
    });
  }

  /** Settles the call with RabbitMQ and lets the key's next message run. */
  private finish(held: Held): void {
    this.settle(held.carrier);
    this.release(held);
  }

  /**
   * One more call of `carrier` is settled; after its last, the message is acked (or handed back),
   * once the replies sent so far are on their way, and on the channel it came on: an ack on a
   * channel since closed is stale.
   */
  private settle(carrier: Carrier): void {
    if (--carrier.unsettled > 0 || carrier.channel !== this.channel) return;
    this.settings.afterReplies(() => {
      if (carrier.channel !== this.channel) return;
      carrier.channel.ack(carrier.message);
      this.settings.writes();
    });
  }

  private release(held: Held): void {
    if (held.carrier.channel !== this.channel) return;
    this.freeSlot();
    if (this.settings.ordered && held.key !== undefined) {
      const next = this.gate.leave(held.key);
      if (next !== undefined) this.admit(next);
    }
  }

  /** Writes `held`'s own bytes and key as a dead letter, then settles it; `admitted`: it holds a handler slot and maybe its key. */
  private deadLetter(held: Held, error: { code: string; message: string }, admitted = true): void {
    const { carrier } = held;
    const record: DeadLetter = {
      origin: { topic: this.settings.topic, partition: carrier.lane.partition, offset: carrier.message.fields.deliveryTag },
      key: held.key,
      deliveryCount: held.deliveryCount,
      error,
      deadLetteredAt: this.settings.clock.now(),
      bytes: held.bytes,
    };
    this.settings.deadLetter(record).then(
      () => {
        this.counters[carrier.lane.partition]!.deadLettered++;
        this.settle(carrier);
        if (admitted) this.release(held);
      },
      () => {
        // Not stored. Handing the message back to RabbitMQ would run the other, finished calls of
        // its bundle again (and let later calls of its key overtake it): this call keeps its slot
        // and key, and its dead letter is written again. A lost channel gives it all back anyway.
        if (carrier.channel !== this.channel) return;
        const timer = this.settings.clock.setTimeout(() => {
          this.timers.delete(timer);
          if (carrier.channel === this.channel) this.deadLetter(held, error, admitted);
        }, deadLetterRetryMs);
        this.timers.add(timer);
      },
    );
  }
}
