import type { Observable } from "rxjs";

/**
 * The contract every backend implements (in-process broker, TCP broker, NATS). Core speaks only
 * to this interface; `test/transport-conformance.ts` holds every backend to it.
 */
export interface Transport {
  /**
   * Appends a message to a topic and resolves once the broker has confirmed it (for durable
   * topics: after it is on disk). Rejects with `NoRespondersError` when `requireConsumer` is set
   * and no consumer is subscribed, `QueueFullError` when the partition is full and its overflow
   * policy is `reject`, `PayloadTooLargeError`, or `ClosedError`.
   */
  publish(topic: string, bytes: Uint8Array, options?: PublishOptions): Promise<void>;
  /**
   * Optional: publishes a request, whose reply is what its caller waits for. Nothing reports
   * success; a failure (one `publish` would reject with) goes to `failed`, at most once and never
   * synchronously. Confirms are batched as for `lazyConfirm`. It saves the promise of `publish`
   * on every call; a client whose transport lacks it publishes with `lazyConfirm` instead.
   */
  publishRequest?(topic: string, bytes: Uint8Array, options: PublishOptions, failed: (error: Error) => void): void;
  /** Joins consumer group `group` of `topic`; deliveries arrive in `onDelivery` within the credit of `prefetch`. */
  consume(topic: string, group: string, onDelivery: (delivery: Delivery) => void, options?: ConsumeOptions): Promise<Subscription>;
  /** Opens a queue exclusive to this connection; replies pushed to its name arrive on `messages`. */
  openReplyQueue(): Promise<ReplyQueue>;
  /** Sends to a reply queue: at most once, no confirm. A reply to a queue that no longer exists is counted and dropped. */
  reply(queue: string, bytes: Uint8Array): void;
  /** Declares a topic with options; topics are otherwise created on first use with defaults. */
  declareTopic(topic: string, options: TopicOptions): Promise<void>;
  stats(): Promise<BrokerStats>;
  /** Connection state changes: `connected`, `reconnecting`, `closed`. */
  readonly state$: Observable<ConnectionState>;
  /** Leaves every group (unacked deliveries go back to the broker) and closes reply queues. */
  close(): Promise<void>;
}

/**
 * The promise a transport that confirms synchronously returns from `publish`: callers may
 * recognise it and skip attaching handlers, which is measurable on the in-process hot path.
 */
export const confirmed: Promise<void> = Promise.resolve();

export type ConnectionState = "connected" | "reconnecting" | "closed";

export interface PublishOptions {
  /**
   * Partition and ordering key: messages with the same key go to the same partition, and an
   * ordered consumer handles them one at a time, in publish order. Without a key, messages are
   * spread over partitions round-robin and never wait for one another.
   */
  key?: string;
  /** Epoch ms after which the broker drops the message at dequeue instead of delivering it. */
  expiresAt?: number;
  /** Reject with `NoRespondersError` when no consumer is subscribed to the topic. Default false. */
  requireConsumer?: boolean;
  /**
   * The message must be kept until a consumer takes it (a `@durable` method's call or event), even
   * if nobody has declared the topic yet: a transport whose storage is per topic (NATS: a JetStream
   * stream) creates the topic's storage with the defaults. `false` (what the client sends for other
   * methods): the message need not be stored, and a transport that can keep it out of the topic's
   * storage does (NATS: core NATS). Unset: the topic decides.
   */
  durable?: boolean;
  /**
   * Identifies this publish: a transport that deduplicates (JetStream's `Nats-Msg-Id`) drops a
   * second message with the same id. Requests use `<call id>:<attempt>` (a retry must reach a
   * server, which replays from its idempotency store); events their idempotency key.
   */
  messageId?: string;
  /**
   * The caller needs a failure at once but not the success: a transport may confirm it later,
   * batched with other traffic (the TCP broker does, within `lazyConfirmMs`). Requests set it:
   * their reply is what they wait for. Default false.
   */
  lazyConfirm?: boolean;
}

export interface ConsumeOptions {
  /** Most deliveries unacknowledged at once for this consumer. Default 64 (`defaultPrefetch`). */
  prefetch?: number;
  /** One message in flight per key (messages without a key are never held back). Default true (`defaultOrdered`). */
  ordered?: boolean;
}

export interface Delivery {
  readonly bytes: Uint8Array;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** 1 on first delivery. */
  readonly deliveryCount: number;
  /** The topic's limit: a nack on this delivery count sends the message to the dead-letter topic. */
  readonly maxDeliveries: number;
  readonly key: string | undefined;
  /** Done: the message will not be delivered again. Settling twice is ignored. */
  ack(): void;
  /**
   * Not done: deliver again after `delayMs` (default 0), or dead-letter it once `maxDeliveries`
   * is reached, recording `error`.
   */
  nack(options?: { delayMs?: number; error?: { code: string; message: string } }): void;
  /** Can never succeed (it is malformed): dead-letter it now, whatever the delivery count. */
  reject(error: { code: string; message: string }): void;
  /**
   * Optional: sends `bytes` to reply queue `queue`, then acks, in one step (the TCP broker gets
   * one frame for both). Where it is missing, the server calls `Transport.reply`, then `ack`.
   */
  ackWithReply?(queue: string, bytes: Uint8Array): void;
}

export interface Subscription {
  /** Leaves the group: unacked deliveries of this consumer are redelivered to the others. */
  unsubscribe(): Promise<void>;
}

export interface ReplyQueue {
  readonly name: string;
  readonly messages: Observable<Uint8Array>;
  close(): void;
}

export type OverflowPolicy = "reject" | "drop-oldest";

export interface TopicOptions {
  /** Default 8 (`defaultPartitions`). Fixed once the topic exists. */
  partitions?: number;
  /**
   * Kept on disk and confirmed after fsync (brokers that persist). Default false. `false` given
   * explicitly: the topic is never stored, even by a transport whose mode stores every topic (NATS
   * in durable mode keeps it on core NATS), so many groups may read it; every process using it
   * declares it so (Ferry's discovery topic is).
   */
  durable?: boolean;
  /** Most messages a partition holds (queued and in flight). Default 100,000 (`defaultMaxLength`). */
  maxLength?: number;
  /** What a publish to a full partition does. Default `reject`. */
  overflow?: OverflowPolicy;
  /** An unacked delivery is redelivered after this long. Default 30,000 ms (`defaultAckTimeoutMs`). */
  ackTimeoutMs?: number;
  /** Deliveries before a message goes to `<topic>.dlq`. Default 5 (`defaultMaxDeliveries`). */
  maxDeliveries?: number;
}

export interface BrokerStats {
  topics: TopicStats[];
  replyQueues: number;
  /** Replies sent to a reply queue that did not exist. */
  repliesDropped: number;
}

export interface TopicStats {
  name: string;
  partitions: PartitionStats[];
  groups: GroupStats[];
}

export interface PartitionStats {
  partition: number;
  /** Messages held by the partition (queued for some group, or in flight). */
  depth: number;
  published: number;
  /** Dropped by `drop-oldest` overflow. */
  dropped: number;
}

export interface GroupStats {
  group: string;
  consumers: number;
  partitions: GroupPartitionStats[];
}

export interface GroupPartitionStats {
  partition: number;
  owner: string | undefined;
  /** Messages published but not yet acknowledged by this group. */
  lag: number;
  inFlight: number;
  redeliveries: number;
  deadLettered: number;
  /** Dropped at dequeue because their deadline had passed. */
  expired: number;
}
