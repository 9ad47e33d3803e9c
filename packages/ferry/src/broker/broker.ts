import { systemClock, type Clock } from "../core/clock.js";
import { defaultMaxMessageBytes, defaultTopicOptions } from "../core/defaults.js";
import { encodeDeadLetter } from "../core/wire/dead-letter.js";
import { ClosedError, InvalidArgumentError, PayloadTooLargeError, QueueFullError } from "../core/errors.js";
import type { BrokerStats, BrowseOptions, BrowsePage, Delivery, PublishOptions, TopicOptions } from "../core/transport.js";
import { browseLogs } from "./browse-logs.js";
import { parsePosition } from "./message-position.js";
import type { ConsumerGroup } from "./consumer-group.js";
import type { Member } from "./group-cursor.js";
import type { StoredMessage } from "./partition-log.js";
import type { BrokerStorage } from "./storage/broker-storage.js";
import type { RecoveredTopic, TopicStore } from "./storage/topic-store.js";
import { Topic, type ResolvedTopicOptions } from "./topic.js";

export interface BrokerOptions {
  /** Time source for ack timeouts, nack delays and expiry. Default: the system clock. */
  clock?: Clock;
  /** Defaults for topics created on first use. */
  topicDefaults?: TopicOptions;
  /** Largest message accepted, bytes. Default 1 MiB (`defaultMaxMessageBytes`). */
  maxMessageBytes?: number;
  /** Most reply queues open at once. Default 100,000 (`defaultMaxReplyQueues`). */
  maxReplyQueues?: number;
  /** How often unacknowledged deliveries are checked against their ack timeout, ms. Default 250 (`defaultSweepIntervalMs`). */
  sweepIntervalMs?: number;
  /**
   * Where durable topics live (`startBroker({ dataDir })` makes one). Without it, `durable` is
   * accepted but everything stays in memory.
   */
  storage?: BrokerStorage;
}

/** Reply queues open at once in a broker, over every connection: each holds a map entry and its owner's callback. */
export const defaultMaxReplyQueues = 100_000;

/**
 * How often unacknowledged deliveries are checked against their ack timeout, ms: a delivery is
 * redelivered up to this long after its timeout, and each check walks the deliveries in flight.
 */
export const defaultSweepIntervalMs = 250;

/** Longest partition key, in UTF-16 units: a durable record holds the key beside the message. */
export const MAX_KEY_LENGTH = 1024;
const topicNamePattern = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const maxTopicNameLength = 255;
const deadLetterSuffix = ".dlq";

/** A handle a reply queue's owner receives messages through. */
export type ReplySink = (bytes: Uint8Array) => void;

/**
 * Ferry's embedded broker: partitioned topics, consumer groups, reply queues. It lives in one
 * process; the in-process transport calls it directly and the TCP server (a later layer) exposes
 * it to other processes. Everything is synchronous; delivery passes run on `setImmediate`, so a
 * burst of publishes is handed out in one batch and timers and I/O still get their turn.
 */
export class Broker {
  private readonly clock: Clock;
  private readonly topicDefaults: ResolvedTopicOptions;
  readonly maxMessageBytes: number;
  private readonly maxReplyQueues: number;
  private readonly sweepIntervalMs: number;
  private readonly topics = new Map<string, Topic>();
  private readonly replyQueues = new Map<string, ReplySink>();
  private readonly pumpQueue = new Set<ConsumerGroup>();
  private pumpScheduled = false;
  private sweepTimer: unknown;
  private readonly timers = new Set<unknown>();
  private repliesDropped = 0;
  private nextId = 0;
  private closed = false;

  constructor(options: BrokerOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.topicDefaults = resolveTopicOptions(options.topicDefaults ?? {}, defaultTopicOptions);
    this.maxMessageBytes = options.maxMessageBytes ?? defaultMaxMessageBytes;
    this.maxReplyQueues = options.maxReplyQueues ?? defaultMaxReplyQueues;
    this.sweepIntervalMs = options.sweepIntervalMs ?? defaultSweepIntervalMs;
    this.storage = options.storage;
    for (const [name, recovered] of this.storage?.recovered ?? []) {
      this.createTopic(name, recovered.options, this.storage!.topic(name, recovered.options), recovered);
    }
  }

  private readonly storage: BrokerStorage | undefined;

  /** Declares a topic; a topic that exists keeps its partitions, and takes the other options. */
  declareTopic(name: string, options: TopicOptions): void {
    this.ensureOpen();
    const existing = this.topics.get(name);
    if (existing !== undefined) {
      if (options.partitions !== undefined && options.partitions !== existing.options.partitions) {
        throw new InvalidArgumentError(`topic ${name} already has ${existing.options.partitions} partitions`);
      }
      if (existing.durable && options.durable === false) throw new InvalidArgumentError(`topic ${name} is durable and cannot be made memory-only`);
      Object.assign(existing.options, resolveTopicOptions(options, existing.options));
      if (existing.options.durable) this.makeDurable(existing);
      // A restarted broker applies what was declared last, not what the topic was created with.
      existing.saveOptions();
      return;
    }
    const resolved = resolveTopicOptions(options, this.topicDefaults);
    this.createTopic(name, resolved, resolved.durable ? this.storage?.topic(name, resolved) : undefined);
  }

  /**
   * Appends a message. Returns a promise for durable topics (settled once the message is on disk
   * as the fsync policy says: that is the confirm), nothing for in-memory ones (confirmed now).
   *
   * A `durable` publish makes its topic durable first, whether nobody declared the topic yet or
   * a non-durable publish made it in memory: its confirm then means "on disk", as a durable
   * method promises, and the topic writes out what it already holds. Refusing it instead would
   * fail a service's durable method whenever one of its non-durable methods (same topic) was
   * called first; the cost of upgrading is that those messages are written to disk too.
   */
  publish(topic: string, bytes: Uint8Array, options: PublishOptions = {}): Promise<void> | undefined {
    this.ensureOpen();
    if (bytes.length > this.maxMessageBytes) throw PayloadTooLargeError.of(bytes.length, this.maxMessageBytes);
    if (options.key !== undefined && options.key.length > MAX_KEY_LENGTH) {
      throw new InvalidArgumentError(`a partition key may have at most ${MAX_KEY_LENGTH} characters, this one has ${options.key.length}`);
    }
    const target = this.topic(topic);
    if (options.durable === true && !target.durable) this.makeDurable(target);
    return target.publish(bytes, options);
  }

  /** Adds a consumer to `group` of `topic`; returns what `leave` takes. */
  join(topic: string, group: string, onDelivery: (delivery: Delivery) => void, options: { prefetch: number; ordered: boolean }): Member {
    this.ensureOpen();
    if (!Number.isInteger(options.prefetch) || options.prefetch < 1) {
      throw new InvalidArgumentError(`prefetch must be a positive integer, got ${options.prefetch}`);
    }
    checkName("group", group);
    const member: Member = { id: `consumer-${++this.nextId}`, prefetch: options.prefetch, onDelivery, inFlight: 0, cursors: [] };
    this.topic(topic).group(group, options.ordered).join(member);
    this.armSweep();
    return member;
  }

  leave(topic: string, group: string, member: Member): void {
    this.topics.get(topic)?.groups.get(group)?.leave(member);
  }

  openReplyQueue(sink: ReplySink): string {
    this.ensureOpen();
    if (this.replyQueues.size >= this.maxReplyQueues) {
      throw new QueueFullError(`the broker holds ${this.replyQueues.size} reply queues, its limit`);
    }
    const name = `_reply.${++this.nextId}.${Math.random().toString(36).slice(2, 10)}`;
    this.replyQueues.set(name, sink);
    return name;
  }

  closeReplyQueue(name: string): void {
    this.replyQueues.delete(name);
  }

  /** Pushes to a reply queue; a reply to a queue that is gone is counted and dropped. */
  reply(queue: string, bytes: Uint8Array): void {
    const sink = this.replyQueues.get(queue);
    if (sink === undefined || bytes.length > this.maxMessageBytes) {
      this.repliesDropped++;
      return;
    }
    sink(bytes);
  }

  /** Reads what a topic holds without consuming it (`Transport.browse`). */
  browse(topic: string, options: BrowseOptions): BrowsePage {
    this.ensureOpen();
    if (!Number.isInteger(options.limit) || options.limit < 1) throw new InvalidArgumentError(`browse limit must be a positive integer, got ${options.limit}`);
    const after = options.after === undefined ? undefined : parsePosition(options.after);
    const found = this.topics.get(topic);
    if (found === undefined) return { messages: [], next: undefined };
    return browseLogs(found.logs, after, options.limit, this.clock.now());
  }

  /** Deletes messages by their `browse` id (`Transport.remove`): a number now, or a promise for a durable topic's disk. */
  remove(topic: string, ids: readonly string[]): Promise<number> | number {
    this.ensureOpen();
    if (!Array.isArray(ids)) throw new InvalidArgumentError(`remove takes an array of message ids, got ${typeof ids}`);
    // Every id is read before anything is removed: one bad id removes nothing.
    const positions = ids.map(parsePosition);
    return this.topics.get(topic)?.remove(positions) ?? 0;
  }

  stats(): BrokerStats {
    return {
      topics: [...this.topics.values()].map((topic) => topic.stats()),
      replyQueues: this.replyQueues.size,
      repliesDropped: this.repliesDropped,
    };
  }

  /** Closes, then waits for durable topics to finish writing and sync. */
  async shutdown(): Promise<void> {
    this.close();
    await this.storage?.close();
  }

  /** Stops every timer and refuses further work. Messages still queued in memory are discarded. */
  close(): void {
    this.closed = true;
    for (const handle of this.timers) this.clock.clearTimeout(handle);
    this.timers.clear();
    if (this.sweepTimer !== undefined) this.clock.clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    this.pumpQueue.clear();
    this.replyQueues.clear();
  }

  private topic(name: string): Topic {
    return this.topics.get(name) ?? this.createTopic(name, this.topicDefaults);
  }

  /**
   * Keeps `topic` on disk from now on (nothing to do without storage: then every topic is in
   * memory, as documented). What it already holds is written out first.
   */
  private makeDurable(topic: Topic): void {
    if (topic.durable || this.storage === undefined) return;
    topic.options.durable = true;
    topic.persistTo(this.storage.topic(topic.name, topic.options));
  }

  private createTopic(name: string, options: ResolvedTopicOptions, store?: TopicStore, recovered?: RecoveredTopic): Topic {
    checkName("topic", name);
    const topic = new Topic(name, { ...options }, {
      now: () => this.clock.now(),
      later: (callback, delayMs) => this.later(callback, delayMs),
      requestPump: (group) => this.requestPump(group),
      deadLetter: (origin, message, partition, count, error) => this.deadLetter(origin, message, partition, count, error),
    }, store, recovered);
    this.topics.set(name, topic);
    return topic;
  }

  private requestPump(group: ConsumerGroup): void {
    if (this.closed) return;
    this.pumpQueue.add(group);
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => this.runPumps());
  }

  private runPumps(): void {
    this.pumpScheduled = false;
    const now = this.clock.now();
    // Pumping can schedule more groups (an ack inside a delivery); those run on the next pass.
    const groups = [...this.pumpQueue];
    this.pumpQueue.clear();
    for (const group of groups) group.pump(now);
  }

  private later(callback: () => void, delayMs: number): void {
    if (this.closed) return;
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(handle);
      if (!this.closed) callback();
    }, delayMs);
    this.timers.add(handle);
  }

  /** Keeps one sweep timer alive while any consumer is joined. */
  private armSweep(): void {
    if (this.sweepTimer !== undefined || this.closed) return;
    this.sweepTimer = this.clock.setTimeout(() => {
      this.sweepTimer = undefined;
      const now = this.clock.now();
      let consumers = false;
      for (const topic of this.topics.values()) {
        for (const group of topic.groups.values()) {
          group.sweep(now);
          if (group.size > 0) consumers = true;
        }
      }
      if (consumers) this.armSweep();
    }, this.sweepIntervalMs);
    // Maintenance, not work: the sweep alone never keeps a process alive.
    (this.sweepTimer as { unref?: () => void }).unref?.();
  }

  private deadLetter(origin: string, message: StoredMessage, partition: number, deliveryCount: number, error: { code: string; message: string }): void {
    const target = origin.endsWith(deadLetterSuffix) ? origin : origin + deadLetterSuffix;
    // Dead letters are as durable as their origin, which may have become durable after its dead-letter topic was made.
    const durable = this.topics.get(origin)?.durable === true;
    const existing = this.topics.get(target);
    if (existing === undefined) {
      // Dead letters must not be refused for space: the oldest make way.
      const options: ResolvedTopicOptions = { ...this.topicDefaults, partitions: 1, overflow: "drop-oldest", durable };
      this.createTopic(target, options, options.durable ? this.storage?.topic(target, options) : undefined);
    } else if (durable) {
      this.makeDurable(existing);
    }
    const record = encodeDeadLetter({
      origin: { topic: origin, partition, offset: message.offset },
      key: message.key,
      deliveryCount,
      error,
      deadLetteredAt: this.clock.now(),
      bytes: message.bytes,
    });
    this.topics.get(target)!.publish(record, {});
  }

  private ensureOpen(): void {
    if (this.closed) throw new ClosedError("the broker is closed");
  }
}

function resolveTopicOptions(options: TopicOptions, base: ResolvedTopicOptions): ResolvedTopicOptions {
  const resolved = { ...base };
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined) (resolved as Record<string, unknown>)[name] = value;
  }
  const positive = (name: keyof ResolvedTopicOptions, value: number, max: number): void => {
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new InvalidArgumentError(`topic option ${name} must be an integer from 1 to ${max}, got ${value}`);
    }
  };
  positive("partitions", resolved.partitions, 1024);
  positive("maxLength", resolved.maxLength, 2 ** 31);
  positive("ackTimeoutMs", resolved.ackTimeoutMs, 2 ** 31);
  positive("maxDeliveries", resolved.maxDeliveries, 1_000_000);
  if (resolved.overflow !== "reject" && resolved.overflow !== "drop-oldest") {
    throw new InvalidArgumentError(`topic option overflow must be "reject" or "drop-oldest", got ${String(resolved.overflow)}`);
  }
  return resolved;
}

function checkName(what: string, name: string): void {
  if (typeof name !== "string" || name.length > maxTopicNameLength || !topicNamePattern.test(name)) {
    throw new InvalidArgumentError(`${what} name ${JSON.stringify(name)} must be dot-separated words of letters, digits, _ or -`);
  }
}
