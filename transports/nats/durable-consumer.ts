import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from "nats";
import { setMaxListeners } from "node:events";
import { setTimeout as delay } from "node:timers/promises";
import type { Delivery, GroupPartitionStats } from "../../core/transport.js";
import { deadLetterRecord } from "./dead-letter-sink.js";
import type { DurableTopic } from "./durable-topics.js";
import { Header, readNumber, readString } from "./headers.js";
import { PullCredit, type CreditLane } from "./pull-credit.js";

/** Publishes a dead letter and resolves once JetStream has stored it. */
export type DurableDeadLetterSink = (topic: string, partition: number, record: ReturnType<typeof deadLetterRecord>) => Promise<void>;

export interface DurableConsumerSettings {
  topic: DurableTopic;
  /** The consumer group this member belongs to (its stats are reported under it). */
  group: string;
  /** Consumer names, with the partition each lane reports as. */
  lanes: { consumer: string; partition: number }[];
  prefetch: number;
  deadLetter: DurableDeadLetterSink;
}

/** Longest pause between pulls of a lane that keeps failing (consumer gone, no JetStream), ms. */
const maxRetryMs = 5_000;

/** First pause of a lane that found no messages waiting, when credit is scarce, ms; it doubles while idle. */
const minIdleMs = 25;

/** Longest pause of an idle lane between checks for messages, when credit is scarce, ms. */
const maxIdleMs = 500;

function retryDelayMs(failures: number): number {
  return Math.min(maxRetryMs, 100 * 2 ** failures);
}

interface Lane extends CreditLane {
  readonly consumer: Consumer;
  readonly partition: number;
  pull: ConsumerMessages | undefined;
}

/**
 * A member of a consumer group on JetStream: pulls from the group's durable consumers (one per
 * lane), never holding more than `prefetch` unsettled messages (see PullCredit). Acks, naks and
 * terms are JetStream's own, so a message this process never settles is redelivered by the server
 * after `ackTimeoutMs` to whichever member pulls next, and survives this process crashing.
 *
 * Every message pulled goes straight to a handler: nothing is parked in this process, so nothing
 * needs `working()` to keep its ack timer from running out. Order by key is kept by JetStream
 * (`max_ack_pending` 1 on a keyed lane of an ordered group), not by a gate here; such a lane never
 * asks for more than one message, which is all JetStream would let out.
 */
export class DurableConsumer {
  private readonly lanes: Lane[] = [];
  private credit: PullCredit | undefined;
  private readonly held = new Set<DurableDelivery>();
  /** Every lane's pause listens to it: one listener per lane, however many lanes there are. */
  private readonly stopping = unlimitedListeners(new AbortController());
  private closed = false;
  readonly counters = { deadLettered: 0 };
  /**
   * Requests this member dropped for their deadline, by the partition their lane reports as.
   * JetStream keeps no such count, so the transport's stats() reads it from its own members.
   */
  private readonly expiredByPartition = new Map<number, number>();

  constructor(
    private readonly js: JetStreamClient,
    readonly settings: DurableConsumerSettings,
    private readonly onDelivery: (delivery: Delivery) => void,
  ) {}

  async start(): Promise<void> {
    const prefetch = Math.max(1, this.settings.prefetch);
    for (const lane of this.settings.lanes) {
      const consumer = await this.js.consumers.get(this.settings.topic.stream, lane.consumer);
      const maxAckPending = (await consumer.info(true)).config.max_ack_pending ?? 0;
      this.lanes.push({ consumer, partition: lane.partition, cap: maxAckPending > 0 ? Math.min(prefetch, maxAckPending) : prefetch, reserved: 0, pull: undefined });
    }
    if (this.closed) return;
    const credit = new PullCredit(prefetch, this.lanes);
    this.credit = credit;
    for (const lane of this.lanes) void this.pullLoop(lane, credit);
  }

  /**
   * One pull request at a time per lane, sized by the credit it was granted. A request ending
   * short (expired, or JetStream gave up on it) hands its unfilled credit back. When credit is
   * scarce, an idle lane asks JetStream how many messages wait for it before taking any: an empty
   * lane holding a request open would keep the credit from a lane with work.
   */
  private async pullLoop(lane: Lane, credit: PullCredit): Promise<void> {
    let waiting = credit.scarce ? 0 : Number.POSITIVE_INFINITY;
    let idleMs = minIdleMs;
    let failures = 0;
    while (!this.closed) {
      if (waiting === 0) {
        try {
          waiting = (await lane.consumer.info()).num_pending;
          failures = 0;
        } catch {
          failures++;
        }
        if (waiting === 0) {
          await this.pause(failures > 0 ? retryDelayMs(failures) : idleMs);
          idleMs = Math.min(maxIdleMs, idleMs * 2);
          continue;
        }
        idleMs = minIdleMs;
      }
      const grant = await credit.take(lane, waiting);
      if (grant === undefined) return;
      const startedAt = Date.now();
      let received = 0;
      try {
        lane.pull = await lane.consumer.fetch({ max_messages: grant.count, expires: grant.expiresMs });
        if (this.closed) lane.pull.stop();
        for await (const msg of lane.pull) {
          lane.reserved--;
          received++;
          this.receive(msg, lane.partition);
          // After a reconnect nats.js asks again for the whole batch: stop at what the grant covers.
          if (lane.reserved === 0) break;
        }
        // Ending empty well before its expiry means JetStream refused it (leader change, ...): pause.
        failures = received === 0 && Date.now() - startedAt < grant.expiresMs / 2 ? failures + 1 : 0;
      } catch {
        failures++;
      } finally {
        lane.pull = undefined;
        // Reset first: the release grants at once, and must see this lane without a pull open.
        const unused = lane.reserved;
        lane.reserved = 0;
        credit.release(unused);
      }
      // A full batch suggests more are waiting; anything less, and a scarce lane asks JetStream again.
      if (credit.scarce && received < grant.count) waiting = 0;
      if (failures > 0) await this.pause(retryDelayMs(failures));
    }
  }

  /** Waits `ms`, or less if the consumer closes meanwhile. */
  private pause(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return delay(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }

  private receive(msg: JsMsg, partition: number): void {
    if (this.closed) {
      msg.nak();
      return this.release();
    }
    const expiresAt = readNumber(msg.headers, Header.ExpiresAt);
    if (expiresAt !== undefined && expiresAt <= Date.now()) {
      this.expiredByPartition.set(partition, (this.expiredByPartition.get(partition) ?? 0) + 1);
      msg.ack();
      return this.release();
    }
    const delivery = new DurableDelivery(this, msg, partition, readString(msg.headers, Header.Key));
    if (delivery.deliveryCount > this.settings.topic.maxDeliveries) {
      // Every allowed delivery timed out unacknowledged: give up without running it again.
      return void this.deadLetter(delivery, { code: "ACK_TIMEOUT", message: `not acknowledged within ${this.settings.topic.ackTimeoutMs} ms, ${this.settings.topic.maxDeliveries} times` }).finally(() => this.release());
    }
    this.held.add(delivery);
    this.onDelivery(delivery);
  }

  /** A delivery was settled with JetStream (acked, naked, or dead-lettered then acked): its credit frees. */
  settled(delivery: DurableDelivery): void {
    if (this.held.delete(delivery)) this.release();
  }

  private release(): void {
    this.credit?.release(1);
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

  /** What this member counted on `partition` that JetStream does not keep. */
  stats(partition: number): Pick<GroupPartitionStats, "expired"> {
    return { expired: this.expiredByPartition.get(partition) ?? 0 };
  }

  /** Leaves the group: what this member held goes back to JetStream at once, and its pulls stop. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopping.abort();
    this.credit?.close();
    for (const lane of this.lanes) lane.pull?.stop();
    for (const delivery of this.held) if (delivery.settle()) delivery.msg.nak();
    this.held.clear();
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
    if (this.deliveryCount >= this.maxDeliveries) {
      void this.consumer.deadLetter(this, options.error ?? { code: "NACKED", message: "nacked on its last allowed delivery" }).finally(() => this.consumer.settled(this));
      return;
    }
    this.msg.nak(options.delayMs ?? 0);
    this.consumer.settled(this);
  }

  reject(error: { code: string; message: string }): void {
    if (!this.settle()) return;
    void this.consumer.deadLetter(this, error).finally(() => this.consumer.settled(this));
  }
}

function unlimitedListeners(controller: AbortController): AbortController {
  setMaxListeners(0, controller.signal);
  return controller;
}
