import { systemClock, type Clock } from "../../core/clock.js";
import { defaultPartitions } from "../../core/defaults.js";
import { describeValue } from "../../core/describe-value.js";
import { InvalidArgumentError } from "../../core/errors.js";

/** Options of the RabbitMQ transport. */
export interface RabbitMqTransportOptions {
  /** `amqp://user:pass@host:port/vhost` or `amqps://...`. Default `amqp://guest:guest@127.0.0.1:5672`. */
  url?: string;
  /**
   * First part of every queue name, so several Ferry deployments (or tests) share one vhost
   * without seeing each other. Default `ferry` (`defaultRabbitMqPrefix`). Letters, digits, `-`, `_` and `.` only.
   */
  prefix?: string;
  /**
   * Keyed partition queues per topic (`hash(key) % partitions`). RabbitMQ cannot tell a publisher
   * how many partitions a server declared, so every connection of a deployment must use the same
   * value, and a topic's declared `partitions` is not used. Default 8 (`defaultPartitions`).
   */
  partitions?: number;
  /** Replicas of each durable (quorum) queue: `x-quorum-initial-group-size`. Default 1 (`defaultQuorumReplicas`). */
  replicas?: number;
  /** First pause before reconnecting after a lost connection, ms; doubles up to `maxReconnectDelayMs`. Default 100 (`defaultReconnectDelayMs`). */
  reconnectDelayMs?: number;
  /** Longest pause between reconnect attempts, ms. Default 5,000 (`defaultMaxReconnectDelayMs`). */
  maxReconnectDelayMs?: number;
  /** The connection's name, shown by `rabbitmqctl list_connections client_properties`. Default `ferry`. */
  connectionName?: string;
  /** Topics `stats()` reports besides those this connection used (`ferry stats --topics`): AMQP cannot list queues. */
  statsTopics?: readonly string[];
  /**
   * Carry the publishes (and the replies) of one event-loop turn to the same queue as one AMQP
   * message, a bundle of at most `maxBundleItems` items and `maxBundleBytes` bytes: RabbitMQ's
   * work per message is what limits the call rate. Durable publishes make persistent bundles of
   * their own. A bundle is acked once its last call is done, so after a lost connection (or a
   * crash) every call of it runs again, those already done included. Default true
   * (`defaultRabbitMqBundle`).
   */
  bundle?: boolean;
  /** What expiry and dead-letter times are read from. Default: the system clock. */
  clock?: Clock;
}

export interface ResolvedRabbitMqOptions {
  url: string;
  prefix: string;
  partitions: number;
  replicas: number;
  reconnectDelayMs: number;
  maxReconnectDelayMs: number;
  connectionName: string;
  statsTopics: readonly string[];
  bundle: boolean;
  clock: Clock;
}

export const defaultAmqpUrl = "amqp://guest:guest@127.0.0.1:5672";
/** First part of every queue name the transport makes. */
export const defaultRabbitMqPrefix = "ferry";
/**
 * Copies of each durable quorum queue. 1 keeps a durable request on one node (a single-node
 * RabbitMQ has no more); 3 or 5 on a cluster survive the loss of one or two nodes.
 */
export const defaultQuorumReplicas = 1;
/** Whether the publishes and replies of one turn to one queue go as one message (a bundle). */
export const defaultRabbitMqBundle = true;
/**
 * Calls (or replies) per bundle. 128 is twice the default 64 calls in flight, so a turn's burst
 * at that load goes as one message; a member holds up to `prefetch` bundles per queue, so up
 * to this many times the calls it held without bundles, running `prefetch` of them at once.
 */
export const maxBundleItems = 128;
/** Bytes of a bundle's body (items and their metadata); a publish larger than this goes alone. */
export const maxBundleBytes = 128 * 1024;
/** First pause before a reconnect attempt, ms. */
export const defaultReconnectDelayMs = 100;
/** Longest pause between reconnect attempts, ms. */
export const defaultMaxReconnectDelayMs = 5_000;

const namePart = /^[A-Za-z0-9_.-]+$/;

/** The options with their defaults, checked. */
export function resolveRabbitMqOptions(options: RabbitMqTransportOptions): ResolvedRabbitMqOptions {
  const resolved: ResolvedRabbitMqOptions = {
    url: options.url ?? defaultAmqpUrl,
    prefix: options.prefix ?? defaultRabbitMqPrefix,
    partitions: options.partitions ?? defaultPartitions,
    replicas: options.replicas ?? defaultQuorumReplicas,
    reconnectDelayMs: options.reconnectDelayMs ?? defaultReconnectDelayMs,
    maxReconnectDelayMs: options.maxReconnectDelayMs ?? defaultMaxReconnectDelayMs,
    connectionName: options.connectionName ?? "ferry",
    statsTopics: options.statsTopics ?? [],
    bundle: options.bundle ?? defaultRabbitMqBundle,
    clock: options.clock ?? systemClock,
  };
  if (typeof resolved.url !== "string" || !/^amqps?:\/\//.test(resolved.url)) {
    throw new InvalidArgumentError(`rabbitmq: url must be amqp://... or amqps://..., got ${describeValue(options.url)}`);
  }
  if (typeof resolved.prefix !== "string" || !namePart.test(resolved.prefix)) {
    throw new InvalidArgumentError(`rabbitmq: prefix must be letters, digits, -, _ or ., got ${describeValue(options.prefix)}`);
  }
  for (const [name, value, min] of [
    ["partitions", resolved.partitions, 1],
    ["replicas", resolved.replicas, 1],
    ["reconnectDelayMs", resolved.reconnectDelayMs, 1],
    ["maxReconnectDelayMs", resolved.maxReconnectDelayMs, 1],
  ] as const) {
    if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(`rabbitmq: ${name} must be a whole number, at least ${min}, got ${describeValue(value)}`);
  }
  if (resolved.partitions > 256) throw new InvalidArgumentError(`rabbitmq: partitions must be at most 256, got ${resolved.partitions}`);
  if (typeof resolved.connectionName !== "string") throw new InvalidArgumentError(`rabbitmq: connectionName must be a string, got ${describeValue(options.connectionName)}`);
  if (typeof resolved.bundle !== "boolean") throw new InvalidArgumentError(`rabbitmq: bundle must be true or false, got ${describeValue(options.bundle)}`);
  return resolved;
}
