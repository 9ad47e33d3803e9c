import { NoRespondersError, QueueFullError } from "../../core/errors.js";
import type { OverflowPolicy, PublishOptions, TopicStats } from "../../core/transport.js";
import { ConsumerGroup } from "./consumer-group.js";
import type { CursorHost } from "./group-cursor.js";
import { PartitionLog, type StoredMessage } from "./partition-log.js";

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

/** A named stream of messages split into partitions, read by consumer groups. */
export class Topic {
  readonly logs: PartitionLog[];
  readonly groups = new Map<string, ConsumerGroup>();
  private nextPartition = 0;

  constructor(
    readonly name: string,
    readonly options: ResolvedTopicOptions,
    private readonly host: TopicHost,
  ) {
    this.logs = Array.from({ length: options.partitions }, () => new PartitionLog());
  }

  get hasConsumers(): boolean {
    for (const group of this.groups.values()) if (group.size > 0) return true;
    return false;
  }

  publish(bytes: Uint8Array, options: PublishOptions): void {
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
    }
    log.append(bytes, options.key, options.expiresAt);
    for (const group of this.groups.values()) group.schedule();
  }

  group(name: string, ordered: boolean): ConsumerGroup {
    let group = this.groups.get(name);
    if (group === undefined) {
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
        deadLetter: (message, partition, count, error) => this.host.deadLetter(this.name, message, partition, count, error),
      };
      group = new ConsumerGroup(name, this.logs, host, (g) => this.host.requestPump(g));
      this.groups.set(name, group);
    }
    return group;
  }

  /** Forgets messages every group has settled. Without groups, messages wait for the first one. */
  private trim(partition: number): void {
    let lowest = Infinity;
    for (const group of this.groups.values()) lowest = Math.min(lowest, group.cursors[partition]!.committed);
    if (lowest !== Infinity) this.logs[partition]!.trimTo(lowest);
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
        depth: log.length,
        published: log.published,
        dropped: log.dropped,
      })),
      groups: [...this.groups.values()].map((group) => group.stats()),
    };
  }
}

/** FNV-1a over UTF-16 code units: stable across processes and versions, which the partition map relies on. */
export function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
