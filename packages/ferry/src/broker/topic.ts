import { NoRespondersError, QueueFullError } from "../core/errors.js";
import type { OverflowPolicy, PublishOptions, TopicStats } from "../core/transport.js";
import { hashKey } from "../core/partition.js";
import { ConsumerGroup } from "./consumer-group.js";
import type { CursorHost } from "./group-cursor.js";
import { PartitionLog, type StoredMessage } from "./partition-log.js";
import type { MessagePosition } from "./message-position.js";
import type { SettledState } from "./storage/ack-journal.js";
import type { RecoveredTopic, TopicStore } from "./storage/topic-store.js";

/** Topic options with every default applied. */
export interface ResolvedTopicOptions {
  partitions: number;
  durable: boolean;
  maxLength: number;
  overflow: OverflowPolicy;
  ackTimeoutMs: number;
  maxDeliveries: number;
}

/** What a topic needs from its broker. */
export interface TopicHost {
  now(): number;
  later(callback: () => void, delayMs: number): void;
  requestPump(group: ConsumerGroup): void;
  deadLetter(topic: string, message: StoredMessage, partition: number, deliveryCount: number, error: { code: string; message: string }): void;
}

/**
 * A named stream of messages split into partitions, read by consumer groups. A durable topic
 * also has a `TopicStore`: messages are written to it before their publish is confirmed, and
 * settled offsets are journaled, so a restarted broker redelivers exactly what was not settled.
 */
export class Topic {
  readonly logs: PartitionLog[];
  readonly groups = new Map<string, ConsumerGroup>();
  private readonly groupModes = new Map<string, { ordered: boolean }>();
  private nextPartition = 0;
  private settlesSinceCompaction = 0;

  constructor(
    readonly name: string,
    readonly options: ResolvedTopicOptions,
    private readonly host: TopicHost,
    private store?: TopicStore,
    recovered?: RecoveredTopic,
  ) {
    this.logs = Array.from({ length: options.partitions }, () => new PartitionLog());
    if (recovered === undefined) return;
    recovered.partitions.forEach(({ messages, nextOffset }, partition) => {
      // Messages dropped by `drop-oldest` before the restart stay dropped.
      const start = recovered.starts[partition] ?? 0;
      this.logs[partition]!.restore(start > 0 ? messages.filter((message) => message.offset >= start) : messages, nextOffset);
    });
    for (const { partition, offset } of recovered.removed) this.logs[partition]?.remove(offset);
    for (const [group, mode] of recovered.groups) this.createGroup(group, mode.ordered, recovered.settled.get(group));
    for (let partition = 0; partition < this.logs.length; partition++) this.trim(partition);
  }

  get durable(): boolean {
    return this.store !== undefined;
  }

  /**
   * Starts persisting this topic (declared durable after it was first used in memory): what it
   * already holds is written out first, so nothing it confirmed from now on is memory-only.
   */
  persistTo(store: TopicStore): void {
    if (this.store !== undefined) return;
    this.store = store;
    store.saveMeta(this.options, this.groupModes);
    this.logs.forEach((log, partition) => {
      for (let offset = log.start; offset < log.end; offset++) {
        const message = log.get(offset);
        if (message !== undefined && !message.lost) store.append(partition, message).catch(() => undefined);
      }
    });
    // What groups settled while in memory stays settled after a restart, not delivered again.
    if (this.groups.size > 0) store.snapshotAcks(this.settledState());
  }

  /** Records the current options for the next restart (a durable topic's; others have nowhere to). */
  saveOptions(): void {
    this.store?.saveMeta(this.options, this.groupModes);
  }

  get hasConsumers(): boolean {
    for (const group of this.groups.values()) if (group.size > 0) return true;
    return false;
  }

  /** Appends a message; for a durable topic, resolves once it is on disk as the fsync policy says. */
  publish(bytes: Uint8Array, options: PublishOptions): Promise<void> | undefined {
    if (options.requireConsumer && !this.hasConsumers) throw NoRespondersError.forTopic(this.name);
    const partition = options.key === undefined ? this.roundRobin() : hashKey(options.key) % this.logs.length;
    const log = this.logs[partition]!;
    if (log.length >= this.options.maxLength) {
      if (this.options.overflow === "reject") {
        throw new QueueFullError(`partition ${partition} of ${this.name} holds ${log.length} messages, its maxLength`, {
          data: { topic: this.name, partition, maxLength: this.options.maxLength },
        });
      }
      log.dropOldest();
      this.store?.startsAt(partition, log.start);
    }
    const message = log.append(bytes, options.key, options.expiresAt);
    for (const group of this.groups.values()) group.schedule();
    return this.store?.append(partition, message);
  }

  /**
   * Deletes messages at these positions (`browse` ids, read); resolves with how many were there to delete, once a
   * durable topic has the deletion on disk (a restarted broker keeps them deleted).
   */
  remove(positions: readonly MessagePosition[]): Promise<number> | number {
    const removed = positions.filter(({ partition, offset }) => this.logs[partition]?.remove(offset) === true);
    if (this.store === undefined || removed.length === 0) return removed.length;
    return this.store.removed(removed).then(() => removed.length);
  }

  group(name: string, ordered: boolean): ConsumerGroup {
    const existing = this.groups.get(name);
    if (existing !== undefined) return existing;
    const group = this.createGroup(name, ordered, undefined);
    this.store?.saveMeta(this.options, this.groupModes);
    return group;
  }

  private createGroup(name: string, ordered: boolean, recovered: SettledState[] | undefined): ConsumerGroup {
    const options = this.options;
    const host: Omit<CursorHost, "schedule"> = {
      topic: this.name,
      ordered,
      // Read through, so options declared after the group exists still apply.
      get ackTimeoutMs() {
        return options.ackTimeoutMs;
      },
      get maxDeliveries() {
        return options.maxDeliveries;
      },
      now: () => this.host.now(),
      later: (callback, delayMs) => this.host.later(callback, delayMs),
      committed: (partition) => this.trim(partition),
      settled: (partition, offset) => this.journal(name, partition, offset),
      deadLetter: (message, partition, count, error) => this.host.deadLetter(this.name, message, partition, count, error),
    };
    const group = new ConsumerGroup(name, this.logs, host, (g) => this.host.requestPump(g), recovered);
    this.groups.set(name, group);
    this.groupModes.set(name, { ordered });
    return group;
  }

  private journal(group: string, partition: number, offset: number): void {
    if (this.store === undefined) return;
    this.store.settled(group, partition, offset);
    if (++this.settlesSinceCompaction < 10_000) return;
    this.settlesSinceCompaction = 0;
    this.store.compactAcks(() => this.settledState());
  }

  private settledState(): Map<string, SettledState[]> {
    return new Map([...this.groups].map(([name, group]) => [name, group.cursors.map((cursor) => cursor.settledState())]));
  }

  /** Forgets messages every group has settled. Without groups, messages wait for the first one. */
  private trim(partition: number): void {
    let lowest = Infinity;
    for (const group of this.groups.values()) lowest = Math.min(lowest, group.cursors[partition]!.committed);
    if (lowest === Infinity) return;
    this.logs[partition]!.trimTo(lowest);
    this.store?.trimTo(partition, lowest);
  }

  private roundRobin(): number {
    const partition = this.nextPartition;
    this.nextPartition = (partition + 1) % this.logs.length;
    return partition;
  }

  stats(): TopicStats {
    return {
      name: this.name,
      partitions: this.logs.map((log, partition) => ({
        partition,
        depth: log.depth,
        published: log.published,
        dropped: log.dropped,
      })),
      groups: [...this.groups.values()].map((group) => group.stats()),
    };
  }
}
