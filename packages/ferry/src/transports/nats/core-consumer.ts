import type { Msg, MsgHdrs, NatsConnection, Subscription as NatsSubscription } from "nats";
import type { Clock } from "../../core/clock.js";
import { ErrorCode } from "../../core/errors.js";
import { LiveTable } from "../../core/live-table.js";
import type { Delivery, GroupPartitionStats } from "../../core/transport.js";
import { deadLetterRecord, type DeadLetterSink } from "./dead-letter-sink.js";
import { buildHeaders, Header, readNumber, readString } from "./headers.js";
import { KeyGate } from "./key-gate.js";

export interface CoreConsumerSettings {
  topic: string;
  subject: string;
  group: string;
  prefetch: number;
  ordered: boolean;
  maxDeliveries: number;
  deadLetter: DeadLetterSink;
  /** Decides whether a request's deadline has passed, and dates dead letters. */
  clock: Clock;
}

/**
 * A member of a queue group on core NATS. NATS hands each message to one member and forgets
 * it, so what a broker would do is done here, in the member: `prefetch` bounds the handlers
 * running (extra messages wait in this process), `ordered` runs one message per key at a time
 * (within this member), `nack` republishes the message to the group (after `delayMs`), the
 * last allowed delivery and `reject` publish a dead letter. A crash loses what the member held.
 */
export class CoreConsumer {
  private readonly subscription: NatsSubscription;
  private readonly ready: CoreDelivery[] = [];
  private readonly gate = new KeyGate<CoreDelivery>();
  /** Deliveries handed to the handler and not yet settled, by offset. */
  private readonly held = new LiveTable<CoreDelivery>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private offset = 0;
  private closed = false;
  readonly counters = { redeliveries: 0, deadLettered: 0, expired: 0 };

  constructor(
    private readonly nc: NatsConnection,
    readonly settings: CoreConsumerSettings,
    private readonly onDelivery: (delivery: Delivery) => void,
  ) {
    this.subscription = nc.subscribe(settings.subject, { queue: settings.group, callback: (error, msg) => error === null && this.receive(msg) });
  }

  private receive(msg: Msg): void {
    const headers = msg.headers;
    const expiresAt = readNumber(headers, Header.ExpiresAt);
    if (expiresAt !== undefined && expiresAt <= this.settings.clock.now()) {
      this.counters.expired++;
      return;
    }
    const delivery = new CoreDelivery(this, msg.data, readString(headers, Header.Key), readNumber(headers, Header.Delivery) ?? 1, this.offset++, headers);
    if (delivery.key !== undefined && this.settings.ordered && !this.gate.enter(delivery.key, delivery)) return;
    this.ready.push(delivery);
    this.pump();
  }

  private pump(): void {
    while (this.held.size < this.settings.prefetch && this.ready.length > 0 && !this.closed) {
      const delivery = this.ready.shift()!;
      this.held.set(delivery.offset, delivery);
      this.onDelivery(delivery);
    }
  }

  /** Called once per delivery, by ack, nack or reject. */
  settled(delivery: CoreDelivery): void {
    if (this.held.take(delivery.offset) === undefined) return;
    if (delivery.key !== undefined && this.settings.ordered) {
      const next = this.gate.leave(delivery.key);
      // The key's next message goes first: it has waited longest.
      if (next !== undefined) this.ready.unshift(next);
    }
    this.pump();
  }

  redeliver(delivery: CoreDelivery, delayMs: number): void {
    this.counters.redeliveries++;
    if (delayMs <= 0) return this.republish(delivery, delivery.deliveryCount + 1);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.republish(delivery, delivery.deliveryCount + 1);
    }, delayMs);
    this.timers.add(timer);
  }

  deadLetter(delivery: CoreDelivery, error: { code: string; message: string }): void {
    this.counters.deadLettered++;
    const { topic } = this.settings;
    this.settings.deadLetter(topic, 0, deadLetterRecord(topic, 0, delivery.offset, delivery.key, delivery.deliveryCount, error, delivery.bytes, this.settings.clock.now()));
  }

  get maxDeliveries(): number {
    return this.settings.maxDeliveries;
  }

  private republish(delivery: CoreDelivery, deliveryCount: number): void {
    if (this.nc.isClosed()) return;
    const headers = buildHeaders({
      [Header.Key]: delivery.key,
      [Header.ExpiresAt]: delivery.headers?.get(Header.ExpiresAt) || undefined,
      [Header.Delivery]: String(deliveryCount),
    });
    this.nc.publish(this.settings.subject, delivery.bytes, headers === undefined ? undefined : { headers });
  }

  stats(): GroupPartitionStats {
    return {
      partition: 0,
      owner: undefined,
      lag: this.ready.length + this.gate.parked + this.held.size,
      inFlight: this.held.size,
      redeliveries: this.counters.redeliveries,
      deadLettered: this.counters.deadLettered,
      expired: this.counters.expired,
    };
  }

  /** Leaves the group: what this member held goes back to the group, republished. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    await this.subscription.drain().catch(() => undefined);
    const handBack = [...this.held.values(), ...this.ready, ...this.gate.drain()];
    this.ready.length = 0;
    for (const delivery of handBack) {
      const wasDelivered = this.held.take(delivery.offset) !== undefined;
      delivery.settle();
      this.republish(delivery, wasDelivered ? delivery.deliveryCount + 1 : delivery.deliveryCount);
    }
    this.held.clear();
  }
}

class CoreDelivery implements Delivery {
  readonly partition = 0;
  private done = false;

  constructor(
    private readonly consumer: CoreConsumer,
    readonly bytes: Uint8Array,
    readonly key: string | undefined,
    readonly deliveryCount: number,
    readonly offset: number,
    readonly headers: MsgHdrs | undefined,
  ) {}

  get topic(): string {
    return this.consumer.settings.topic;
  }

  get maxDeliveries(): number {
    return this.consumer.maxDeliveries;
  }

  /** Marks the delivery settled; false if it already was. */
  settle(): boolean {
    if (this.done) return false;
    this.done = true;
    return true;
  }

  ack(): void {
    if (this.settle()) this.consumer.settled(this);
  }

  nack(options: { delayMs?: number; error?: { code: string; message: string } } = {}): void {
    if (!this.settle()) return;
    if (this.deliveryCount >= this.maxDeliveries) this.consumer.deadLetter(this, options.error ?? { code: ErrorCode.Nacked, message: "nacked on its last allowed delivery" });
    else this.consumer.redeliver(this, options.delayMs ?? 0);
    this.consumer.settled(this);
  }

  reject(error: { code: string; message: string }): void {
    if (!this.settle()) return;
    this.consumer.deadLetter(this, error);
    this.consumer.settled(this);
  }
}
