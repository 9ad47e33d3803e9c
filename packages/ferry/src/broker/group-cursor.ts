import type { Delivery } from "../core/transport.js";
import { ErrorCode } from "../core/errors.js";
import { LiveTable } from "../core/live-table.js";
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
  /** The group settled `offset` (durable topics journal it). */
  settled(partition: number, offset: number): void;
  deadLetter(message: StoredMessage, partition: number, deliveryCount: number, error: FailureReason): void;
}

export type FailureReason = { code: string; message: string };

/** A message waiting to be delivered again (a returned `CursorDelivery` is one). */
interface Pending {
  readonly message: StoredMessage;
  /** Deliveries made so far. */
  readonly deliveryCount: number;
  /** This message owns its key's turn (ordered mode), so nothing else of that key may go. */
  holdsKey: boolean;
}

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
  private readonly inFlight = new LiveTable<CursorDelivery>();
  /** Keys held by a message, each with the messages of that key parked behind it (made on first park). */
  private readonly heldKeys = new Map<string, Deque<Pending> | undefined>();
  /** Set by `takeNext` for the message it returns (saves an object per delivery). */
  private takenCount = 0;
  private takenHoldsKey = false;
  redeliveries = 0;
  deadLettered = 0;
  expired = 0;

  constructor(
    readonly partition: number,
    private readonly log: PartitionLog,
    readonly host: CursorHost,
    recovered?: { committed: number; settled: ReadonlySet<number> },
  ) {
    // After a restart, everything not settled before it is delivered again. Recovery has already
    // cut the ack journal to the recovered log (see `clipToEnds`); the bounds here keep a cursor
    // from ever settling an offset its log does not hold, whatever state it is given.
    this.committedOffset = Math.min(Math.max(recovered?.committed ?? 0, log.start), log.end);
    this.next = this.committedOffset;
    for (const offset of recovered?.settled ?? []) if (offset >= this.committedOffset && offset < log.end) this.settledAbove.add(offset);
  }

  /** What this group has settled, for the durable ack journal's snapshot. */
  settledState(): { committed: number; settled: Set<number> } {
    return { committed: this.committed, settled: new Set(this.settledAbove) };
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
    const message = this.takeNext(now);
    if (message === undefined) return false;
    const delivery = new CursorDelivery(this, message, this.takenCount + 1, this.takenHoldsKey, owner, now + this.host.ackTimeoutMs);
    this.inFlight.set(message.offset, delivery);
    owner.inFlight++;
    if (delivery.deliveryCount > 1) this.redeliveries++;
    try {
      owner.onDelivery(delivery);
    } catch (error) {
      this.nack(delivery, { code: ErrorCode.ConsumerError, message: (error as Error)?.message ?? String(error) }, 0);
    }
    return true;
  }

  /** The next message this group may have now (returned messages first), or undefined. */
  private takeNext(now: number): StoredMessage | undefined {
    for (;;) {
      const pending = this.ready.shift();
      let message: StoredMessage | undefined;
      let count = 0;
      let holdsKey = false;
      if (pending !== undefined) {
        ({ message, deliveryCount: count, holdsKey } = pending);
      } else {
        message = this.nextFromLog();
        if (message === undefined) return undefined;
      }
      if (message.offset < this.log.start || (pending !== undefined && this.log.get(message.offset)?.removed === true)) {
        // Dropped by `drop-oldest` overflow, or removed, while waiting for redelivery.
        this.finish(message, holdsKey);
        continue;
      }
      if (message.expiresAt !== undefined && message.expiresAt <= now) {
        this.expired++;
        this.finish(message, holdsKey);
        continue;
      }
      if (this.host.ordered && message.key !== undefined && !holdsKey) {
        if (this.heldKeys.has(message.key)) {
          this.park(message.key, pending ?? { message, deliveryCount: count, holdsKey: false });
          continue;
        }
        this.heldKeys.set(message.key, undefined);
        holdsKey = true;
      }
      this.takenCount = count;
      this.takenHoldsKey = holdsKey;
      return message;
    }
  }

  private nextFromLog(): StoredMessage | undefined {
    if (this.next < this.log.start) this.next = this.log.start;
    for (;;) {
      const message = this.log.get(this.next);
      if (message === undefined) return undefined;
      this.next++;
      // Settled before a restart, or lost to disk damage: never (re)delivered.
      if (this.settledAbove.has(message.offset)) continue;
      if (message.lost) {
        this.settle(message.offset);
        continue;
      }
      return message;
    }
  }

  private park(key: string, pending: Pending): void {
    let parked = this.heldKeys.get(key);
    if (parked === undefined) this.heldKeys.set(key, (parked = new Deque()));
    parked.push(pending);
  }

  ack(delivery: CursorDelivery): void {
    if (!this.release(delivery)) return;
    this.finish(delivery.message, delivery.holdsKey);
    this.host.schedule();
  }

  nack(delivery: CursorDelivery, reason: FailureReason, delayMs: number): void {
    if (!this.release(delivery)) return;
    this.giveBack(delivery, reason, delayMs);
    this.host.schedule();
  }

  reject(delivery: CursorDelivery, reason: FailureReason): void {
    if (!this.release(delivery)) return;
    this.deadLetter(delivery, reason);
    this.host.schedule();
  }

  /** The member left: everything it held goes back for another member. */
  memberLeft(member: Member): void {
    for (const delivery of this.inFlight.values()) {
      if (delivery.member === member && this.release(delivery)) {
        this.giveBack(delivery, { code: ErrorCode.ConsumerLeft, message: "the consumer left before acknowledging" }, 0);
      }
    }
  }

  /** Redelivers what has waited longer than the ack timeout. */
  sweep(now: number): void {
    // Every delivery is looked at: deadlines are not in order once ackTimeoutMs changes, and
    // what is in flight is bounded by the members' prefetch.
    let expired = false;
    for (const delivery of this.inFlight.values()) {
      if (delivery.ackDeadline > now) continue;
      if (this.release(delivery)) {
        this.giveBack(delivery, { code: ErrorCode.AckTimeout, message: `not acknowledged within ${this.host.ackTimeoutMs} ms` }, 0);
        expired = true;
      }
    }
    if (expired) this.host.schedule();
  }

  /** Takes `delivery` out of flight; false if it was settled already (a stale ack or nack). */
  private release(delivery: CursorDelivery): boolean {
    if (this.inFlight.get(delivery.message.offset) !== delivery) return false;
    this.inFlight.take(delivery.message.offset);
    delivery.member.inFlight--;
    return true;
  }

  private giveBack(delivery: CursorDelivery, reason: FailureReason, delayMs: number): void {
    if (delivery.deliveryCount >= this.host.maxDeliveries) return this.deadLetter(delivery, reason);
    if (delayMs <= 0) {
      this.ready.push(delivery);
      return;
    }
    this.host.later(() => {
      this.ready.push(delivery);
      this.host.schedule();
    }, delayMs);
  }

  private deadLetter(delivery: CursorDelivery, reason: FailureReason): void {
    this.deadLettered++;
    this.host.deadLetter(delivery.message, this.partition, delivery.deliveryCount, reason);
    this.finish(delivery.message, delivery.holdsKey);
  }

  /** The message is done for this group: settle its offset and pass its key on. */
  private finish(message: StoredMessage, holdsKey: boolean): void {
    this.settle(message.offset);
    if (holdsKey) this.passKey(message.key!);
  }

  private passKey(key: string): void {
    const nextOfKey = this.heldKeys.get(key)?.shift();
    if (nextOfKey === undefined) {
      this.heldKeys.delete(key);
      return;
    }
    nextOfKey.holdsKey = true;
    this.ready.unshift(nextOfKey);
  }

  private settle(offset: number): void {
    this.host.settled(this.partition, offset);
    const before = this.committedOffset;
    if (this.committedOffset < this.log.start) {
      // The log's head went (`drop-oldest`, or removed): what was settled just past it counts too.
      this.committedOffset = this.log.start;
      for (const settled of this.settledAbove) if (settled < this.committedOffset) this.settledAbove.delete(settled);
    }
    if (offset === this.committedOffset) this.committedOffset++;
    else if (offset > this.committedOffset) this.settledAbove.add(offset);
    while (this.settledAbove.delete(this.committedOffset)) this.committedOffset++;
    if (this.committedOffset !== before) this.host.committed(this.partition);
  }
}

/** One delivery of a message: the handle a consumer settles it with, and the broker's record of it. */
class CursorDelivery implements Delivery, Pending {
  constructor(
    private readonly cursor: GroupCursor,
    readonly message: StoredMessage,
    readonly deliveryCount: number,
    public holdsKey: boolean,
    readonly member: Member,
    readonly ackDeadline: number,
  ) {}

  get bytes(): Uint8Array {
    return this.message.bytes;
  }
  get topic(): string {
    return this.cursor.host.topic;
  }
  get partition(): number {
    return this.cursor.partition;
  }
  get offset(): number {
    return this.message.offset;
  }
  get maxDeliveries(): number {
    return this.cursor.host.maxDeliveries;
  }
  get key(): string | undefined {
    return this.message.key;
  }

  ack(): void {
    this.cursor.ack(this);
  }

  nack(options: { delayMs?: number; error?: FailureReason } = {}): void {
    const reason = options.error ?? { code: ErrorCode.Nacked, message: "the consumer rejected the message" };
    this.cursor.nack(this, reason, options.delayMs ?? 0);
  }

  reject(error: FailureReason): void {
    this.cursor.reject(this, error);
  }
}
