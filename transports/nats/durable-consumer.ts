import type { ConsumerMessages, JetStreamClient, JsMsg } from "nats";
import type { Delivery, GroupPartitionStats } from "../../core/transport.js";
import { deadLetterRecord } from "./dead-letter-sink.js";
import type { DurableTopic } from "./durable-topics.js";
import { Header, readNumber, readString } from "./headers.js";

/** Publishes a dead letter and resolves once JetStream has stored it. */
export type DurableDeadLetterSink = (topic: string, partition: number, record: ReturnType<typeof deadLetterRecord>) => Promise<void>;

export interface DurableConsumerSettings {
  topic: DurableTopic;
  /** Consumer names, with the partition each lane reports as. */
  lanes: { consumer: string; partition: number }[];
  prefetch: number;
  deadLetter: DurableDeadLetterSink;
}

/**
 * A member of a consumer group on JetStream: pulls from the group's durable consumers (one per
 * lane) and hands out at most `prefetch` deliveries at once. Acks, naks and terms are JetStream's
 * own, so a message this process never settles is redelivered by the server after `ackTimeoutMs`
 * to whichever member pulls next, and survives this process crashing.
 */
export class DurableConsumer {
  private readonly pulls: ConsumerMessages[] = [];
  private readonly ready: DurableDelivery[] = [];
  private readonly held = new Set<DurableDelivery>();
  private closed = false;
  readonly counters = { expired: 0, deadLettered: 0 };

  constructor(
    private readonly js: JetStreamClient,
    readonly settings: DurableConsumerSettings,
    private readonly onDelivery: (delivery: Delivery) => void,
  ) {}

  async start(): Promise<void> {
    for (const lane of this.settings.lanes) {
      const consumer = await this.js.consumers.get(this.settings.topic.stream, lane.consumer);
      const pull = await consumer.consume({
        max_messages: Math.max(1, Math.min(this.settings.prefetch, 256)),
        callback: (msg) => this.receive(msg, lane.partition),
      });
      this.pulls.push(pull);
    }
  }

  private receive(msg: JsMsg, partition: number): void {
    if (this.closed) return msg.nak();
    const expiresAt = readNumber(msg.headers, Header.ExpiresAt);
    if (expiresAt !== undefined && expiresAt <= Date.now()) {
      this.counters.expired++;
      return msg.ack();
    }
    const delivery = new DurableDelivery(this, msg, partition, readString(msg.headers, Header.Key));
    if (delivery.deliveryCount > this.settings.topic.maxDeliveries) {
      // Every allowed delivery timed out unacknowledged: give up without running it again.
      return void this.deadLetter(delivery, { code: "ACK_TIMEOUT", message: `not acknowledged within ${this.settings.topic.ackTimeoutMs} ms, ${this.settings.topic.maxDeliveries} times` });
    }
    this.ready.push(delivery);
    this.pump();
  }

  private pump(): void {
    while (this.held.size < this.settings.prefetch && this.ready.length > 0 && !this.closed) {
      const delivery = this.ready.shift()!;
      this.held.add(delivery);
      this.onDelivery(delivery);
    }
  }

  settled(delivery: DurableDelivery): void {
    if (this.held.delete(delivery)) this.pump();
  }

  /** Stores the dead letter, then acks the original: a crash in between leaves a redelivery, not a loss. */
  async deadLetter(delivery: DurableDelivery, error: { code: string; message: string }): Promise<void> {
    const { topic } = this.settings.topic;
    const record = deadLetterRecord(topic, delivery.partition, delivery.offset, delivery.key, delivery.deliveryCount, error, delivery.bytes);
    try {
      await this.settings.deadLetter(topic, delivery.partition, record);
      this.counters.deadLettered++;
      delivery.msg.ack();
    } catch {
      delivery.msg.nak(1_000);
    }
  }

  stats(): Pick<GroupPartitionStats, "expired"> {
    return { expired: this.counters.expired };
  }

  /** Leaves the group: what this member held or had pulled goes back to JetStream at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const pull of this.pulls) pull.stop();
    for (const delivery of [...this.held, ...this.ready]) if (delivery.settle()) delivery.msg.nak();
    this.held.clear();
    this.ready.length = 0;
  }
}

class DurableDelivery implements Delivery {
  private done = false;

  constructor(
    private readonly consumer: DurableConsumer,
    readonly msg: JsMsg,
    readonly partition: number,
    readonly key: string | undefined,
  ) {}

  get bytes(): Uint8Array {
    return this.msg.data;
  }

  get topic(): string {
    return this.consumer.settings.topic.topic;
  }

  get offset(): number {
    return this.msg.seq;
  }

  get deliveryCount(): number {
    return this.msg.info.redeliveryCount;
  }

  get maxDeliveries(): number {
    return this.consumer.settings.topic.maxDeliveries;
  }

  settle(): boolean {
    if (this.done) return false;
    this.done = true;
    return true;
  }

  ack(): void {
    if (!this.settle()) return;
    this.msg.ack();
    this.consumer.settled(this);
  }

  nack(options: { delayMs?: number; error?: { code: string; message: string } } = {}): void {
    if (!this.settle()) return;
    if (this.deliveryCount >= this.maxDeliveries) void this.consumer.deadLetter(this, options.error ?? { code: "NACKED", message: "nacked on its last allowed delivery" });
    else this.msg.nak(options.delayMs ?? 0);
    this.consumer.settled(this);
  }

  reject(error: { code: string; message: string }): void {
    if (!this.settle()) return;
    void this.consumer.deadLetter(this, error);
    this.consumer.settled(this);
  }
}
