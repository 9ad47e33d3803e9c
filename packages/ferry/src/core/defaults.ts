import type { OverflowPolicy, TopicOptions } from "./transport.js";

/*
 * Defaults of the transport contract (`ConsumeOptions`, `TopicOptions`, lazy confirms) and the
 * message size limit: the runtime and every transport and broker apply these, so each is defined
 * here once. README's "Options and defaults" and "Limits" state the same figures
 * (`test/docs/readme-defaults.test.ts` checks that they do).
 */

/**
 * Deliveries a consumer holds unacknowledged at once (`ConsumeOptions.prefetch`, and so
 * `ServeOptions.concurrency`). Each costs a handler running, or waiting for its key's turn, and
 * its message in memory; a member holding more leaves less work for the other members of its group.
 */
export const defaultPrefetch = 64;

/** Whether a consumer runs one message per key at a time (`ConsumeOptions.ordered`). Costs a later message of a key its wait. */
export const defaultOrdered = true;

/**
 * Largest message accepted, bytes (1 MiB): a publish past it fails with `PAYLOAD_TOO_LARGE`, and
 * a decoded message past it with `MALFORMED_MESSAGE`. It is what a peer can make a process
 * allocate for one message; the TCP frame limit and a durable record's size follow from it.
 */
export const defaultMaxMessageBytes = 1024 * 1024;

/**
 * Longest a request's publish confirm waits to ride with other traffic, ms (`lazyConfirmMs` of the
 * TCP broker and of NATS core mode). A failure such as `NO_RESPONDERS` is reported up to this much
 * later; in exchange a call costs no confirm frame (TCP) or flush round trip (NATS) of its own.
 */
export const defaultLazyConfirmMs = 10;

/**
 * Partitions of a topic. Ordered consumption runs one message per key at a time, so at most this
 * many members of a group share a topic's work; each partition costs a log (a segment file when
 * durable, a JetStream consumer on NATS).
 */
export const defaultPartitions = 8;

/** Messages a partition holds, queued plus in flight: 800,000 per topic at the default partitions, held in memory. */
export const defaultMaxLength = 100_000;

/** What a publish to a full partition does: `reject` fails it with `QUEUE_FULL` and loses nothing held. */
export const defaultOverflow: OverflowPolicy = "reject";

/**
 * How long a delivery may stay unacknowledged before it is redelivered, ms. A consumer that died
 * holding a message delays it this long; shorter, and a slow handler's message runs again
 * elsewhere while it still runs.
 */
export const defaultAckTimeoutMs = 30_000;

/** Deliveries before a message is dead-lettered: a message that always fails runs this many times. */
export const defaultMaxDeliveries = 5;

/** Every topic option with its default: what a topic created on first use, or declared with no options, gets. */
export const defaultTopicOptions: Readonly<Required<TopicOptions>> = Object.freeze({
  partitions: defaultPartitions,
  durable: false,
  maxLength: defaultMaxLength,
  overflow: defaultOverflow,
  ackTimeoutMs: defaultAckTimeoutMs,
  maxDeliveries: defaultMaxDeliveries,
});
