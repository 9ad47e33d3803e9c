import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from "nats";
import { setMaxListeners } from "node:events";
import { setTimeout as delay } from "node:timers/promises";
import type { Clock } from "../../core/clock.js";
import { ErrorCode } from "../../core/errors.js";
import type { Delivery, GroupPartitionStats } from "../../core/transport.js";
import { deadLetterRecord } from "./dead-letter-sink.js";
import { DurableDelivery, type DurableDeliveryHost } from "./durable-delivery.js";
import type { DurableTopic } from "./durable-topics.js";
import { Header, readNumber, readString } from "./headers.js";
import { KeyTurns, type TurnCheck } from "./key-turns.js";
import { PullCredit, type CreditLane } from "./pull-credit.js";

/** Publishes a dead letter and resolves once JetStream has stored it. */
export type DurableDeadLetterSink = (topic: string, partition: number, record: ReturnType<typeof deadLetterRecord>) => Promise<void>;

export interface DurableConsumerSettings {
  topic: DurableTopic;
  /** The consumer group this member belongs to (its stats are reported under it). */
  group: string;
  /** Consumer names, with the partition each lane reports as; `keyed`: a partition's lane, one subject per key. */
  lanes: { consumer: string; partition: number; keyed: boolean }[];
  prefetch: number;
  /** One message in flight per key, across the group (keyed lanes). */
  ordered: boolean;
  deadLetter: DurableDeadLetterSink;
  /** The stream sequence of the earliest message the stream holds on `subject` from `fromSeq` on. */
  firstSeq(subject: string, fromSeq: number): Promise<number | undefined>;
  /** Tells the other members that a message of key subject `line` is done (see TurnNotices). */
  announce(line: string): void;
  /** Decides whether a request's deadline has passed, and dates dead letters. */
  clock: Clock;
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
  /** Its messages with a key take turns per key (a keyed lane of an ordered group). */
  readonly takesTurns: boolean;
  pull: ConsumerMessages | undefined;
}

/**
 * A member of a consumer group on JetStream: pulls from the group's durable consumers (one per
 * lane), never running more than `prefetch` handlers (see PullCredit). Acks, naks and terms are
 * JetStream's own, so a message this process never settles is redelivered by the server after
 * `ackTimeoutMs` to whichever member pulls next, and survives this process crashing.
 *
 * A message of an unkeyed lane, or of an unordered group, goes straight to a handler. A keyed
 * message of an ordered group takes its turn (KeyTurns): it runs once the stream holds no earlier
 * message of its key, whichever member holds that one. Meanwhile it waits in this member without
 * a credit (so a slow key never takes the credit other keys need), its ack timer kept from running
 * out with `working()`. How many may wait is JetStream's `max_ack_pending` of the lane.
 */
export class DurableConsumer implements DurableDeliveryHost {
  private readonly lanes: Lane[] = [];
  private credit: PullCredit | undefined;
  /** Deliveries handed to a handler and not yet released: never more than `prefetch`. */
  private readonly held = new Set<DurableDelivery>();
  /**
   * Deliveries that may run, waiting for a handler slot. Empty unless a message whose key's turn
   * came borrowed a credit (see `PullCredit.borrow`) and messages already asked for then arrived.
   */
  private readonly ready: DurableDelivery[] = [];
  /** Deliveries waiting for their key's turn. */
  private readonly waiting = new Set<DurableDelivery>();
  private prefetch = 1;
  private readonly turns = new KeyTurns<DurableDelivery>({
    check: (delivery, fromSeq) => this.settings.firstSeq(delivery.line, fromSeq).then((first) => compare(delivery.seq, first)),
    start: (delivery) => this.startTurn(delivery),
    wait: (delivery) => this.uncredit(delivery),
    drop: (delivery) => this.drop(delivery),
  });
  private keepAlive: ReturnType<typeof setInterval> | undefined;
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

  get topic(): DurableTopic {
    return this.settings.topic;
  }

  async start(): Promise<void> {
    const prefetch = Math.max(1, this.settings.prefetch);
    this.prefetch = prefetch;
    for (const lane of this.settings.lanes) {
      const consumer = await this.js.consumers.get(this.settings.topic.stream, lane.consumer);
      const maxAckPending = (await consumer.info(true)).config.max_ack_pending ?? 0;
      this.lanes.push({
        consumer,
        partition: lane.partition,
        takesTurns: lane.keyed && this.settings.ordered,
        cap: maxAckPending > 0 ? Math.min(prefetch, maxAckPending) : prefetch,
        reserved: 0,
        pull: undefined,
      });
    }
    if (this.closed) return;
    const credit = new PullCredit(prefetch, this.lanes);
    this.credit = credit;
    if (this.lanes.some((lane) => lane.takesTurns)) {
      // Three times per ack timeout: a waiting message's timer is reset well before it runs out.
      const working = (delivery: DurableDelivery): void => delivery.msg.working();
      this.keepAlive = setInterval(() => {
        this.waiting.forEach(working);
        this.ready.forEach(working);
      }, Math.max(100, this.settings.topic.ackTimeoutMs / 3));
      this.keepAlive.unref();
    }
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
      // Real elapsed time, not the clock's: JetStream ends the pull on its own timer, in real time,
      // and a fake clock that stands still would make every empty pull look refused (and pause).
      const startedAt = performance.now();
      let received = 0;
      try {
        lane.pull = await lane.consumer.fetch({ max_messages: grant.count, expires: grant.expiresMs });
        if (this.closed) lane.pull.stop();
        for await (const msg of lane.pull) {
          lane.reserved--;
          received++;
          this.receive(msg, lane);
          // After a reconnect nats.js asks again for the whole batch: stop at what the grant covers.
          if (lane.reserved === 0) break;
        }
        // Ending empty well before its expiry means JetStream refused it (leader change, ...): pause.
        failures = received === 0 && performance.now() - startedAt < grant.expiresMs / 2 ? failures + 1 : 0;
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

  private receive(msg: JsMsg, lane: Lane): void {
    if (this.closed) {
      msg.nak();
      return this.release();
    }
    const expiresAt = readNumber(msg.headers, Header.ExpiresAt);
    if (expiresAt !== undefined && expiresAt <= this.settings.clock.now()) {
      this.expiredByPartition.set(lane.partition, (this.expiredByPartition.get(lane.partition) ?? 0) + 1);
      msg.ack();
      return this.release();
    }
    const key = readString(msg.headers, Header.Key);
    const delivery = new DurableDelivery(this, msg, lane.partition, key, lane.takesTurns && key !== undefined);
    if (delivery.deliveryCount > this.settings.topic.maxDeliveries) {
      // Every allowed delivery timed out unacknowledged: give up without running it again.
      const error = { code: ErrorCode.AckTimeout, message: `not acknowledged within ${this.settings.topic.ackTimeoutMs} ms, ${this.settings.topic.maxDeliveries} times` };
      return void this.deadLetter(delivery, error).then(() => this.release());
    }
    if (!delivery.takesTurns) return this.begin(delivery);
    this.waiting.add(delivery);
    this.credit!.setTurnsWaiting(this.waiting.size);
    this.turns.arrive(delivery);
  }

  private begin(delivery: DurableDelivery): void {
    this.ready.push(delivery);
    this.pump();
  }

  /** Hands ready deliveries to the handler while fewer than `prefetch` run. */
  private pump(): void {
    while (this.ready.length > 0 && this.held.size < this.prefetch && !this.closed) {
      const delivery = this.ready.shift()!;
      this.held.add(delivery);
      this.onDelivery(delivery);
    }
  }

  /** Its key's turn came: run it, with the credit it kept or one borrowed (it is already here). */
  private startTurn(delivery: DurableDelivery): void {
    if (!delivery.credited) {
      this.credit!.borrow();
      delivery.credited = true;
    }
    this.waiting.delete(delivery);
    this.credit!.setTurnsWaiting(this.waiting.size);
    this.begin(delivery);
  }

  /** It waits for an earlier message of its key: its credit goes to messages that can run. */
  private uncredit(delivery: DurableDelivery): void {
    if (!delivery.credited) return;
    delivery.credited = false;
    this.release();
  }

  /** The stream no longer holds it (done by another member, or dropped by overflow): never run it. */
  private drop(delivery: DurableDelivery): void {
    this.waiting.delete(delivery);
    this.credit!.setTurnsWaiting(this.waiting.size);
    // Acking a message the stream no longer holds changes nothing; it ends this copy's ack timer.
    if (delivery.settle()) delivery.msg.ack();
    this.uncredit(delivery);
  }

  released(delivery: DurableDelivery): void {
    if (!this.held.delete(delivery) || !delivery.credited) return;
    delivery.credited = false;
    // The key's next message in this member is the one about to run: it keeps the credit.
    const next = delivery.takesTurns ? this.turns.next(delivery) : undefined;
    if (next !== undefined && !next.credited) next.credited = true;
    else this.release();
    this.pump();
  }

  finished(delivery: DurableDelivery, done: boolean): void {
    if (!delivery.takesTurns) return;
    this.turns.settled(delivery, done);
    if (done) this.settings.announce(delivery.line);
  }

  /** Another member finished a message of key subject `line`. */
  nudge(line: string): void {
    this.turns.nudge(line);
  }

  private release(): void {
    this.credit?.release(1);
  }

  /** Stores the dead letter, then acks the original: a crash in between leaves a redelivery, not a loss. */
  async deadLetter(delivery: DurableDelivery, error: { code: string; message: string }): Promise<boolean> {
    const { topic } = this.settings.topic;
    const record = deadLetterRecord(topic, delivery.partition, delivery.offset, delivery.key, delivery.deliveryCount, error, delivery.bytes, this.settings.clock.now());
    try {
      await this.settings.deadLetter(topic, delivery.partition, record);
    } catch {
      delivery.msg.nak(1_000);
      return false;
    }
    this.counters.deadLettered++;
    return delivery.acknowledge();
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
    clearInterval(this.keepAlive);
    this.credit?.close();
    for (const lane of this.lanes) lane.pull?.stop();
    this.turns.close();
    for (const delivery of [...this.held, ...this.ready, ...this.waiting]) if (delivery.settle()) delivery.msg.nak();
    this.held.clear();
    this.ready.length = 0;
    this.waiting.clear();
  }
}

/** Where a message stands among its key's, from the earliest sequence the stream holds of the key. */
function compare(seq: number, first: number | undefined): TurnCheck {
  if (first === undefined || first > seq) return "gone";
  return first === seq ? "head" : "behind";
}

function unlimitedListeners(controller: AbortController): AbortController {
  setMaxListeners(0, controller.signal);
  return controller;
}
