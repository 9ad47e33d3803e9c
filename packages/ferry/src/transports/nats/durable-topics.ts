import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  nanos,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type MsgRequest,
  type StreamConfig,
} from "nats";
import { defaultTopicOptions } from "../../core/defaults.js";
import { InvalidArgumentError } from "../../core/errors.js";
import type { TopicOptions } from "../../core/transport.js";
import type { ResolvedNatsOptions } from "./nats-options.js";
import { Subjects, unkeyedLane } from "./subjects.js";

/**
 * What every process needs to know about a durable topic. It is kept in the stream's
 * description, so a producer in another process learns the partition count from the stream.
 */
export interface DurableTopic {
  topic: string;
  stream: string;
  partitions: number;
  ackTimeoutMs: number;
  maxDeliveries: number;
}

/** Most unacknowledged messages of the unkeyed lane (or any lane of an unordered group) at once, over all members. */
const unkeyedMaxAckPending = 10_000;

/**
 * Most unacknowledged messages of a keyed lane of an ordered group, over all members: the ones
 * running and the ones members hold while an earlier message of their key is not done. Past it,
 * JetStream lets no new message of the partition out (redeliveries still come) until one is acked.
 */
const keyedMaxAckPending = 1_000;

/**
 * Declares and looks up the JetStream streams behind durable topics: one work-queue stream per
 * topic, its subjects being one per key under each partition plus the unkeyed lane, and a `<stream>_DLQ`
 * stream (limits retention, so dead letters stay for inspection) for its dead letters.
 */
export class DurableTopics {
  private readonly known = new Map<string, Promise<DurableTopic | undefined>>();

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly subjects: Subjects,
    private readonly options: ResolvedNatsOptions,
  ) {}

  /** Creates (or updates) the stream of `topic` with `options`. */
  declare(topic: string, options: TopicOptions): Promise<DurableTopic> {
    const declared = this.create(topic, options);
    this.known.set(topic, declared);
    declared.catch(() => this.known.delete(topic));
    return declared;
  }

  /** The topic as it exists on the server; created with defaults when `create` is set and it does not exist. */
  lookup(topic: string, create: boolean): Promise<DurableTopic | undefined> {
    let found = this.known.get(topic);
    if (found === undefined) {
      found = this.fetch(topic).then((existing) => existing ?? (create ? this.create(topic, {}) : undefined));
      this.known.set(topic, found);
      // A miss or a failure is not remembered: the stream may be created by someone else later.
      found.then((value) => value === undefined && this.known.delete(topic), () => this.known.delete(topic));
    }
    return found;
  }

  /** Forgets what is cached, e.g. after a reconnect to a cluster that may have lost a stream. */
  forget(topic: string): void {
    this.known.delete(topic);
  }

  async ensureDeadLetterStream(topic: string): Promise<string> {
    const name = this.subjects.deadLetterStream(topic);
    const config: Partial<StreamConfig> = {
      name,
      description: JSON.stringify({ deadLettersOf: topic }),
      subjects: [`${this.subjects.prefix}.${this.subjects.deadLetterTopic(topic)}.*`],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: this.options.replicas,
    };
    await this.addOrUpdate(config);
    return name;
  }

  /** Creates the durable consumer of `group` on one lane (kept on the server across restarts). */
  async ensureConsumer(topic: DurableTopic, group: string, lane: number | typeof unkeyedLane, ordered: boolean): Promise<string> {
    const name = this.subjects.consumer(group, lane);
    const config = {
      durable_name: name,
      description: JSON.stringify({ group, lane }),
      filter_subject: this.subjects.laneSubjects(topic.topic, lane),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(topic.ackTimeoutMs),
      // No limit: a delivery past maxDeliveries is how a consumer learns that ack timeouts used them
      // all up, and it dead-letters the message instead of running it. A limit would leave a message
      // whose last delivery was lost in the stream for ever, and its key waiting behind it.
      max_deliver: -1,
      // Members take turns per key themselves (see KeyTurns), so a keyed lane lets many out at once.
      max_ack_pending: lane === unkeyedLane || !ordered ? unkeyedMaxAckPending : keyedMaxAckPending,
      num_replicas: 0,
    };
    try {
      await this.jsm.consumers.add(topic.stream, config);
    } catch (error) {
      if (!/already (exists|in use)|consumer name already/i.test(String(error))) throw error;
      await this.jsm.consumers.update(topic.stream, name, config);
    }
    return name;
  }

  /**
   * The stream sequence of the earliest message `topic`'s stream holds on `subject` from `fromSeq`
   * on, or undefined when it holds none. Asked of the stream's leader: a work-queue stream deletes
   * a message once acked, so what it still holds of a key is what is not done.
   */
  async firstSeq(topic: DurableTopic, subject: string, fromSeq: number): Promise<number | undefined> {
    try {
      // nats.js types only `seq` and `last_by_subj`; the server (2.9+) also answers `next_by_subj`.
      return (await this.jsm.streams.getMessage(topic.stream, { next_by_subj: subject, seq: fromSeq } as unknown as MsgRequest)).seq;
    } catch (error) {
      if (/no message found/i.test(String(error))) return undefined;
      throw error;
    }
  }

  private async fetch(topic: string): Promise<DurableTopic | undefined> {
    try {
      const info = await this.jsm.streams.info(this.subjects.stream(topic));
      return parseDescription(info.config.description, info.config.name, topic);
    } catch (error) {
      if (/stream not found/i.test(String(error))) return undefined;
      throw error;
    }
  }

  private async create(topic: string, options: TopicOptions): Promise<DurableTopic> {
    const partitions = options.partitions ?? (await this.fetch(topic))?.partitions ?? defaultTopicOptions.partitions;
    checkPositive("partitions", partitions);
    const described: DurableTopic = {
      topic,
      stream: this.subjects.stream(topic),
      partitions,
      ackTimeoutMs: checkPositive("ackTimeoutMs", options.ackTimeoutMs ?? defaultTopicOptions.ackTimeoutMs),
      maxDeliveries: checkPositive("maxDeliveries", options.maxDeliveries ?? defaultTopicOptions.maxDeliveries),
    };
    const lanes: string[] = [this.subjects.laneSubjects(topic, unkeyedLane)];
    for (let p = 0; p < partitions; p++) lanes.push(this.subjects.laneSubjects(topic, p));
    const overflow = options.overflow ?? defaultTopicOptions.overflow;
    const maxLength = checkPositive("maxLength", options.maxLength ?? defaultTopicOptions.maxLength);
    await this.addOrUpdate({
      name: described.stream,
      description: JSON.stringify(described),
      subjects: lanes,
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: this.options.replicas,
      duplicate_window: nanos(this.options.duplicateWindowMs),
      // reject: the whole topic holds maxLength x partitions (JetStream's discard-new bound is per
      // stream). drop-oldest: the same bound, and maxLength for each key and for the unkeyed lane.
      ...(overflow === "reject"
        ? { max_msgs: maxLength * partitions, discard: DiscardPolicy.New }
        : { max_msgs: maxLength * partitions, max_msgs_per_subject: maxLength, discard: DiscardPolicy.Old }),
    });
    await this.ensureDeadLetterStream(topic);
    return described;
  }

  private async addOrUpdate(config: Partial<StreamConfig>): Promise<void> {
    try {
      await this.jsm.streams.add(config);
    } catch (error) {
      if (!/already in use/i.test(String(error))) throw error;
      await this.jsm.streams.update(config.name!, config);
    }
  }
}

function parseDescription(description: string | undefined, stream: string, topic: string): DurableTopic {
  const { partitions, ackTimeoutMs, maxDeliveries } = defaultTopicOptions;
  const fallback: DurableTopic = { topic, stream, partitions, ackTimeoutMs, maxDeliveries };
  try {
    const value = JSON.parse(description ?? "") as Partial<DurableTopic>;
    if (value.topic === topic && typeof value.partitions === "number") return { ...fallback, ...value, stream };
  } catch {
    // Not made by Ferry: fall through to the defaults.
  }
  return fallback;
}

function checkPositive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError(`nats: topic option ${name} must be a positive integer, got ${value}`);
  return value;
}
