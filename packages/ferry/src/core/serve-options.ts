import type { Clock } from "./clock.js";
import type { IdempotencyStore } from "./idempotency.js";
import type { ServerInterceptor } from "./interceptors.js";
import type { TopicOptions } from "./transport.js";
import type { DecodeLimits } from "./wire/codec.js";

/** What `serve` takes (`ferry.serve`, generated `serveX`) and what a served service reports, with their defaults. */
export interface ServeOptions {
  /** Requests handled at once: the consumer's prefetch. Default 64 (`defaultPrefetch`). */
  concurrency?: number;
  /** Consumer group. Default: the service name, so every instance of a service shares one queue. */
  group?: string;
  /** Check requests with the definition's validators before running a handler. Default true. */
  validate?: boolean;
  /**
   * Refuse a request carrying a property its type does not declare, with `INVALID_ARGUMENT`
   * naming its path. Default false: such properties are removed before the handler runs, so a
   * server takes requests from clients built against a newer version of the interface.
   */
  strict?: boolean;
  /** Where outcomes are kept for replay. Default: the runtime's `MemoryIdempotencyStore`. */
  idempotencyStore?: IdempotencyStore;
  /** Abort (and redeliver) a handler running longer than this, ms. Default: none; the call's deadline bounds it. */
  handlerTimeoutMs?: number;
  /** Delay before redelivering a message whose handler failed with a retryable error, ms. Default 100 (`defaultRedeliveryDelayMs`). */
  redeliveryDelayMs?: number;
  /**
   * How long `close()` lets running handlers finish before aborting them, and then how long it
   * waits for the aborted ones before leaving without them, ms. Default 10,000 (`defaultDrainTimeoutMs`).
   */
  drainTimeoutMs?: number;
  /** Declared on the service's topic when serving starts (partitions, maxLength, maxDeliveries, ...). */
  topic?: TopicOptions;
  decodeLimits?: DecodeLimits;
  /**
   * Wrap every handler run, first to last (see `ServerInterceptor`). Default: none, and the
   * handler is called directly. The runtime's own tracing, when on, runs before these.
   */
  interceptors?: readonly ServerInterceptor[];
  clock?: Clock;
  /**
   * A stream whose caller sent nothing (no credit, no ping) for this long is stopped, and its
   * handler's `finally` runs, ms. Keep it above the callers' `streamHeartbeatMs`. Default 30,000
   * (`defaultStreamIdleTimeoutMs`).
   */
  streamIdleTimeoutMs?: number;
}

export interface ServerStats {
  /** Handler runs that produced an outcome (success or error reply). */
  handled: number;
  /** Replies replayed from the idempotency store. */
  replayed: number;
  /** Duplicates that waited for the run in flight and shared its outcome. */
  joined: number;
  /** Handler runs that failed retryably and were handed back for redelivery. */
  redelivered: number;
  /** Requests refused before their handler: invalid, unknown method, idempotency mismatch. */
  refused: number;
  /** Requests dropped because their deadline had passed. */
  expired: number;
  /** Messages that could not be decoded (dead-lettered). */
  malformed: number;
  /** Handlers running now. */
  running: number;
}

/**
 * Delay before a message whose handler failed retryably is redelivered, ms. Gives a dependency
 * that just failed a moment to recover; each retry of a call waits at least this long.
 */
export const defaultRedeliveryDelayMs = 100;

/**
 * How long `close()` waits for running handlers before aborting them, then for the aborted ones, ms.
 * A shutdown takes up to twice this; shorter, and more handlers are cut off and their messages redelivered.
 */
export const defaultDrainTimeoutMs = 10_000;
