import type { ConnectionOptions } from "nats";
import { systemClock, type Clock } from "../../core/clock.js";
import { defaultLazyConfirmMs } from "../../core/defaults.js";
import { describeValue } from "../../core/describe-value.js";
import { InvalidArgumentError } from "../../core/errors.js";

/** How topics travel unless declared otherwise: core NATS (at-most-once, fastest) or JetStream (durable). */
export const NatsMode = { Core: "core", Durable: "durable" } as const;
export type NatsMode = (typeof NatsMode)[keyof typeof NatsMode];

/**
 * Options of the NATS transport: every `nats` connection option (`servers`, `user`, `pass`,
 * `token`, `tls`, `reconnectTimeWait`, ...) plus Ferry's own.
 */
export interface NatsTransportOptions extends ConnectionOptions {
  /** A `nats://host:port` url, put in front of `servers`. */
  url?: string;
  /**
   * Default `core`: a method's requests are stored (in its service's JetStream stream) only when
   * the method is `@durable`; the others travel core NATS. `durable`: every topic is a JetStream
   * stream and every publish is stored, as if every method were `@durable`.
   */
  mode?: NatsMode;
  /**
   * First token of every subject, stream, consumer and bucket name, so several Ferry
   * deployments (or tests) share one NATS without seeing each other. Default `ferry` (`defaultNatsPrefix`).
   * Letters, digits, `-` and `_` only.
   */
  prefix?: string;
  /** Copies of each stream and of the idempotency bucket on a cluster (1, 3 or 5). Default 1 (`defaultReplicas`). */
  replicas?: number;
  /**
   * How long JetStream remembers a publish id to drop a resent duplicate, ms. Default 120,000 (`defaultDuplicateWindowMs`).
   */
  duplicateWindowMs?: number;
  /** How long a durable publish keeps resending through a leader election or reconnect, ms. Default 10,000 (`defaultPublishRetryMs`). */
  publishRetryMs?: number;
  /**
   * Core mode: a request's publish is confirmed by a flush shared by every request sent within
   * this window, rather than one PING/PONG per tick; a missing consumer is reported that much
   * later. Events are confirmed at once. Default 10 ms (`defaultLazyConfirmMs`).
   */
  lazyConfirmMs?: number;
  /**
   * nats.js gathers what the connection sends and writes it to the socket at the end of the
   * microtask turn, or at once when the gathered bytes reach this many. Default 8,192 (nats.js's
   * own is 32,768): a burst of calls leaves in parts, and NATS and the server start on its first
   * requests while the client still encodes the rest. Smaller: more, smaller writes.
   */
  writeBatchBytes?: number;
  /**
   * What the transport reads the time from: whether a request's deadline has passed, how long a
   * durable publish keeps resending, how old the cached answer "this topic has no stream" is, and
   * the time a dead letter records. Default: the system clock. Tests pass a fake clock. Waits on
   * NATS itself (pull requests, flushes, pauses between retries) run on real timers.
   */
  clock?: Clock;
}

export interface ResolvedNatsOptions {
  mode: NatsMode;
  prefix: string;
  replicas: number;
  duplicateWindowMs: number;
  publishRetryMs: number;
  lazyConfirmMs: number;
  writeBatchBytes: number;
  clock: Clock;
}

/** First token of every name the transport makes on NATS. */
export const defaultNatsPrefix = "ferry";

/**
 * Copies of each stream and of the idempotency bucket: 1 holds a durable request on one server,
 * lost if that server's disk is. 3 or 5 survive the loss of one or two, at that many writes per publish.
 */
export const defaultReplicas = 1;

/**
 * How long JetStream remembers a publish id to drop a resent copy, ms. Resends within it never
 * duplicate; the stream keeps an entry per publish id for this long.
 */
export const defaultDuplicateWindowMs = 120_000;

/**
 * How long a durable publish keeps resending through a leader election or reconnect before it
 * fails with `UNAVAILABLE`, ms: a caller waits up to this long for the confirm of a publish NATS
 * cannot take.
 */
export const defaultPublishRetryMs = 10_000;

/**
 * What nats.js gathers before writing at once. Its default, 32 KiB, holds a whole burst of 64
 * small calls, which then moves through NATS and the server as one wave; 8 KiB splits it, so the
 * processes work on parts of it side by side (`npm run bench`: 64 in flight, 100 B, +25%).
 */
export const defaultWriteBatchBytes = 8 * 1024;

/** Ferry's options with their defaults, checked, apart from the `nats` connection options. */
export function resolveNatsOptions(options: NatsTransportOptions): {
  resolved: ResolvedNatsOptions;
  url: string | undefined;
  servers: ConnectionOptions["servers"];
  connection: ConnectionOptions;
} {
  const { url, mode, prefix, replicas, duplicateWindowMs, publishRetryMs, lazyConfirmMs, writeBatchBytes, clock, servers, ...connection } = options;
  const resolved: ResolvedNatsOptions = {
    mode: mode ?? NatsMode.Core,
    prefix: prefix ?? defaultNatsPrefix,
    replicas: replicas ?? defaultReplicas,
    duplicateWindowMs: duplicateWindowMs ?? defaultDuplicateWindowMs,
    publishRetryMs: publishRetryMs ?? defaultPublishRetryMs,
    lazyConfirmMs: lazyConfirmMs ?? defaultLazyConfirmMs,
    writeBatchBytes: writeBatchBytes ?? defaultWriteBatchBytes,
    clock: clock ?? systemClock,
  };
  if (url !== undefined && typeof url !== "string") throw new InvalidArgumentError(`nats: url must be a string such as nats://127.0.0.1:4222, got ${describeValue(url)}`);
  if (!Object.values(NatsMode).includes(resolved.mode)) throw new InvalidArgumentError(`nats: mode must be core or durable, got ${String(mode)}`);
  if (![1, 3, 5].includes(resolved.replicas)) throw new InvalidArgumentError(`nats: replicas must be 1, 3 or 5, got ${resolved.replicas}`);
  if (!Number.isInteger(resolved.writeBatchBytes) || resolved.writeBatchBytes < 1) {
    throw new InvalidArgumentError(`nats: writeBatchBytes must be a whole number of bytes, at least 1, got ${String(writeBatchBytes)}`);
  }
  return { resolved, url, servers, connection };
}
