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

/*
 * Streams (`ferry.stream`, methods returning `AsyncIterable`). See README "Streaming replies".
 */

/**
 * Most items a stream's caller lets the server send ahead of what its consumer has taken (the
 * credit window, `StreamOptions.window`), whatever their size: `windowBytes` usually binds first.
 * Under a slow consumer the client, the broker and the server each hold at most the window.
 */
export const defaultStreamWindow = 1_024;

/**
 * Bytes of items a stream's caller lets the server send ahead of its consumer
 * (`StreamOptions.windowBytes`): the caller grants as many items as fit, judging by the average
 * size of the items it has received (at least 1, at most `window`). With the defaults, 100-byte
 * items get the whole window of 1,024 and 16 KiB items 64; a larger budget costs that much memory
 * on each of client, broker and server, and buys throughput over a high-latency link.
 */
export const defaultStreamWindowBytes = 1024 * 1024;

/** Largest `windowBytes` a caller may ask for. */
export const maxStreamWindowBytes = 256 * 1024 * 1024;

/**
 * Items a caller grants before any has arrived, when it cannot yet know their size (at most its
 * `window`). At the 1 MiB message limit, this first grant can bring 16 MiB.
 */
export const initialStreamCredit = 16;

/**
 * Largest window a caller may ask for, and so the most items a server lets run ahead of one
 * stream's consumer: a request asking for more is refused with `INVALID_ARGUMENT`, a credit beyond
 * it with `PROTOCOL_ERROR`. The server cannot see a caller's byte window: at the 1 MiB message
 * limit, a hostile caller can hold 1 GiB in flight on one stream.
 */
export const maxStreamWindow = 1_024;

/** Streams a client iterates at once; one more fails at once with `QUEUE_FULL`. Each holds its window of items and two timers. */
export const defaultMaxOpenStreams = 1_000;

/**
 * How often a stream's caller pings the server when it has sent nothing else (its credit, re-sent),
 * ms; the server answers each ping. A caller that hears nothing from the server for three of these
 * fails the stream with `UNAVAILABLE`: a server that died mid-stream costs up to that long.
 */
export const defaultStreamHeartbeatMs = 5_000;

/**
 * How long a server keeps a stream whose caller sent nothing (no credit, no ping), ms: then it
 * stops the handler (its `finally` runs). Must exceed the callers' heartbeat; a caller that died
 * keeps its server's generator and window this long.
 */
export const defaultStreamIdleTimeoutMs = 30_000;
