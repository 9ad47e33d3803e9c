import type { GroupStats } from "../core/transport.js";
import { GroupCursor, type CursorHost, type Member } from "./group-cursor.js";
import type { PartitionLog } from "./partition-log.js";

/**
 * The consumers sharing one topic under one group name. Each partition is owned by one member at
 * a time; ownership is recomputed whenever a member joins or leaves, and what a departed member
 * held goes back to the partition for the new owner.
 */
export class ConsumerGroup {
  readonly cursors: GroupCursor[];
  private readonly members: Member[] = [];
  private scheduled = false;

  constructor(
    readonly name: string,
    logs: readonly PartitionLog[],
    host: Omit<CursorHost, "schedule">,
    private readonly requestPump: (group: ConsumerGroup) => void,
    recovered?: readonly { committed: number; settled: ReadonlySet<number> }[],
  ) {
    const cursorHost: CursorHost = Object.assign(Object.create(host) as CursorHost, { schedule: () => this.schedule() });
    this.cursors = logs.map((log, partition) => new GroupCursor(partition, log, cursorHost, recovered?.[partition]));
  }

  get size(): number {
    return this.members.length;
  }

  join(member: Member): void {
    this.members.push(member);
    this.rebalance();
  }

  leave(member: Member): void {
    const index = this.members.indexOf(member);
    if (index < 0) return;
    this.members.splice(index, 1);
    for (const cursor of this.cursors) cursor.memberLeft(member);
    this.rebalance();
  }

  /** Partition p goes to member p mod n, in join order: stable, even, and cheap to recompute. */
  private rebalance(): void {
    for (const member of this.members) member.cursors = [];
    for (const cursor of this.cursors) {
      const owner = this.members.length === 0 ? undefined : this.members[cursor.partition % this.members.length];
      cursor.owner = owner;
      owner?.cursors.push(cursor);
    }
    this.schedule();
  }

  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.requestPump(this);
  }

  /** Hands out messages: round-robin over each member's partitions, within its credit. */
  pump(now: number): void {
    this.scheduled = false;
    for (const member of this.members) {
      let progressed = true;
      while (progressed && member.inFlight < member.prefetch) {
        progressed = false;
        for (const cursor of member.cursors) {
          if (member.inFlight >= member.prefetch) break;
          if (cursor.dispatchOne(now)) progressed = true;
        }
      }
    }
  }

  sweep(now: number): void {
    for (const cursor of this.cursors) cursor.sweep(now);
  }

  stats(): GroupStats {
    return {
      group: this.name,
      consumers: this.members.length,
      partitions: this.cursors.map((cursor) => ({
        partition: cursor.partition,
        owner: cursor.owner?.id,
        lag: cursor.lag,
        inFlight: cursor.inFlightCount,
        redeliveries: cursor.redeliveries,
        deadLettered: cursor.deadLettered,
        expired: cursor.expired,
      })),
    };
  }
}
