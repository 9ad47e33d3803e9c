import type { Delivery } from "../../core/transport.js";
import { Deque } from "./deque.js";
import type { PartitionLog, StoredMessage } from "./partition-log.js";

/** A consumer of a group, as the broker tracks it. */
export interface Member {
  readonly id: string;
  readonly prefetch: number;
  readonly onDelivery: (delivery: Delivery) => void;
  /** Deliveries not yet settled; credit is `prefetch - inFlight`. */
  inFlight: number;
  /** Cursors this member owns, in partition order. */
  cursors: GroupCursor[];
}

/** What a cursor needs from its topic and broker. */
export interface CursorHost {
  readonly topic: string;
  readonly ordered: boolean;
  readonly ackTimeoutMs: number;
  readonly maxDeliveries: number;
  now(): number;
  /** Runs `callback` after `delayMs` unless the broker has closed. */
  later(callback: () => void, delayMs: number): void;
  /** Asks for a delivery pass over the group. */
  schedule(): void;
  /** The group settled everything below `offset` of this partition. */
  committed(partition: number): void;
  deadLetter(message: StoredMessage, partition: number, deliveryCount: number, error: { code: string; message: string }): void;
}

/** A message waiting to be (re)delivered. */
interface Pending {
  readonly message: StoredMessage;
  /** Deliveries made so far. */
  readonly deliveryCount: number;
  /** This message owns its key's turn (ordered mode), so nothing else of that key may go. */
  holdsKey: boolean;
}

interface InFlight extends Pending {
  readonly member: Member;
  readonly ackDeadline: number;
}

export type FailureReason = { code: string; message: string };

/**
 * One consumer group's progress through one partition: what to deliver next, what is in flight,
 * and what has been acknowledged. In ordered mode a key is held by the one message of that key
 * in flight (or waiting to be redelivered); later messages of the key park behind it, so a slow
 * key never blocks the others.
 */
export class GroupCursor {
  owner: Member | undefined;
  /** Next log offset never dispatched to this group. */
  private next: number;
  /** Every offset below this is settled for this group. */
  private committedOffset: number;
  /** Settled offsets at or above `committedOffset` (acks arrive out of order). */
  private readonly settledAbove = new Set<number>();
  /** Returned messages, delivered before new ones. */
  private readonly ready = new Deque<Pending>();
  private readonly inFlight = new Map<number, InFlight>();
  /** Keys held by a message; each maps to the messages of that key parked behind it. */
  private readonly heldKeys = new Map<string, Deque<Pending>>();
  redeliveries = 0;
  deadLettered = 0;
  expired = 0;
  private delayed = 0;

  constructor(
    readonly partition: number,
    private readonly log: PartitionLog,
    readonly host: CursorHost,
  ) {
    this.next = log.start;
    this.committedOffset = log.start;
  }

  get committed(): number {
    return Math.max(this.committedOffset, this.log.start);
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Published but not yet settled by this group. */
  get lag(): number {
    return this.log.end - this.committed;
  }

  /** Delivers one message to the owner; false when there is nothing it may have now. */
  dispatchOne(now: number): boolean {
    const owner = this.owner;
    if (owner === undefined) return false;
    const pending = this.takeNext(now);
    if (pending === undefined) return false;
    const deliveryCount = pending.deliveryCount + 1;
    const record: InFlight = {
      message: pending.message,
      deliveryCount,
      holdsKey: pending.holdsKey,
      member: owner,
      ackDeadline: now + this.host.ackTimeoutMs,
    };
    this.inFlight.set(pending.message.offset, record);
    owner.inFlight++;
    if (deliveryCount > 1) this.redeliveries++;
    const delivery = new CursorDelivery(this, record);
    try {
      owner.onDelivery(delivery);
    } catch (error) {
      this.nack(record, { code: "CONSUMER_ERROR", message: (error as Error)?.message ?? String(error) }, 0);
    }
    return true;
  }

  private takeNext(now: number): Pending | undefined {
    for (;;) {
      const pending = this.ready.shift() ?? this.nextFromLog();
      if (pending === undefined) return undefined;
      const { message } = pending;
      if (message.offset < this.log.start) {
        // Dropped by `drop-oldest` overflow while waiting for redelivery.
        this.finish(pending);
        continue;
      }
      if (message.expiresAt !== undefined && message.expiresAt <= now) {
        this.expired++;
        this.finish(pending);
        continue;
      }
      if (this.host.ordered && message.key !== undefined && !pending.holdsKey) {
        const parked = this.heldKeys.get(message.key);
        if (parked !== undefined) {
          parked.push(pending);
          continue;
        }
        this.heldKeys.set(message.key, new Deque());
        pending.holdsKey = true;
      }
      return pending;
    }
  }

  private nextFromLog(): Pending | undefined {
    if (this.next < this.log.start) this.next = this.log.start;
    const message = this.log.get(this.next);
    if (message === undefined) return undefined;
    this.next++;
    return { message, deliveryCount: 0, holdsKey: false };
  }

  ack(record: InFlight): void {
    if (!this.release(record)) return;
    this.finish(record);
    this.host.schedule();
  }

  nack(record: InFlight, reason: FailureReason, delayMs: number): void {
    if (!this.release(record)) return;
    this.giveBack(record, reason, delayMs);
    this.host.schedule();
  }

  reject(record: InFlight, reason: FailureReason): void {
    if (!this.release(record)) return;
    this.deadLetter(record, reason);
    this.host.schedule();
  }

  /** The member left: everything it held goes back for another member. */
  memberLeft(member: Member): void {
    for (const record of this.inFlight.values()) {
      if (record.member === member && this.release(record)) {
        this.giveBack(record, { code: "CONSUMER_LEFT", message: "the consumer left before acknowledging" }, 0);
      }
    }
  }

  /** Redelivers what has waited longer than the ack timeout. */
  sweep(now: number): void {
    // Records are inserted in delivery order with one timeout, so deadlines ascend.
    for (const record of this.inFlight.values()) {
      if (record.ackDeadline > now) break;
      if (this.release(record)) {
        this.giveBack(record, { code: "ACK_TIMEOUT", message: `not acknowledged within ${this.host.ackTimeoutMs} ms` }, 0);
      }
    }
  }

  /** Takes `record` out of flight; false if it was settled already (a stale ack or nack). */
  private release(record: InFlight): boolean {
    if (this.inFlight.get(record.message.offset) !== record) return false;
    this.inFlight.delete(record.message.offset);
    record.member.inFlight--;
    return true;
  }

  private giveBack(record: InFlight, reason: FailureReason, delayMs: number): void {
    if (record.deliveryCount >= this.host.maxDeliveries) return this.deadLetter(record, reason);
    const pending: Pending = { message: record.message, deliveryCount: record.deliveryCount, holdsKey: record.holdsKey };
    if (delayMs <= 0) {
      this.ready.push(pending);
      return;
    }
    this.delayed++;
    this.host.later(() => {
      this.delayed--;
      this.ready.push(pending);
      this.host.schedule();
    }, delayMs);
  }

  private deadLetter(record: InFlight, reason: FailureReason): void {
    this.deadLettered++;
    this.host.deadLetter(record.message, this.partition, record.deliveryCount, reason);
    this.finish(record);
  }

  /** The message is done for this group: settle its offset and pass its key on. */
  private finish(pending: Pending): void {
    this.settle(pending.message.offset);
    if (pending.holdsKey) this.passKey(pending.message.key!);
  }

  private passKey(key: string): void {
    const parked = this.heldKeys.get(key);
    const nextOfKey = parked?.shift();
    if (nextOfKey === undefined) {
      this.heldKeys.delete(key);
      return;
    }
    nextOfKey.holdsKey = true;
    this.ready.unshift(nextOfKey);
  }

  private settle(offset: number): void {
    if (this.committedOffset < this.log.start) {
      this.committedOffset = this.log.start;
      for (const settled of this.settledAbove) if (settled < this.committedOffset) this.settledAbove.delete(settled);
    }
    if (offset < this.committedOffset) return;
    if (offset !== this.committedOffset) {
      this.settledAbove.add(offset);
      return;
    }
    this.committedOffset++;
    while (this.settledAbove.delete(this.committedOffset)) this.committedOffset++;
    this.host.committed(this.partition);
  }

  /** Whether anything awaits a delivery pass or a timer (for drain and sweep decisions). */
  get idle(): boolean {
    return this.inFlight.size === 0 && this.ready.length === 0 && this.delayed === 0 && this.next >= this.log.end;
  }
}

/** The handle a consumer settles a message with. */
class CursorDelivery implements Delivery {
  constructor(
    private readonly cursor: GroupCursor,
    private readonly record: InFlight,
  ) {}

  get bytes(): Uint8Array {
    return this.record.message.bytes;
  }
  get topic(): string {
    return this.cursor.host.topic;
  }
  get partition(): number {
    return this.cursor.partition;
  }
  get offset(): number {
    return this.record.message.offset;
  }
  get deliveryCount(): number {
    return this.record.deliveryCount;
  }
  get maxDeliveries(): number {
    return this.cursor.host.maxDeliveries;
  }
  get key(): string | undefined {
    return this.record.message.key;
  }

  ack(): void {
    this.cursor.ack(this.record);
  }

  nack(options: { delayMs?: number; error?: FailureReason } = {}): void {
    const reason = options.error ?? { code: "NACK", message: "the consumer rejected the message" };
    this.cursor.nack(this.record, reason, options.delayMs ?? 0);
  }

  reject(error: FailureReason): void {
    this.cursor.reject(this.record, error);
  }
}
