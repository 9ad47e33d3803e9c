import type { Transport } from "../transport.js";

/** One message waiting in an outbox: exactly what `emit` would have handed to `Transport.publish`. */
export interface OutboxRow {
  topic: string;
  /** The encoded envelope. */
  bytes: Uint8Array;
  /** Partition and ordering key: rows with the same key are published one after another, in outbox order. */
  key: string | undefined;
  messageId: string;
  durable: boolean;
}

/** What `send` returns once the row is written: the ids the relayed message will carry. */
export interface OutboxReceipt {
  /** The call id (uuid v7) of the message. */
  callId: string;
  /** Its idempotency key: the one given, else the call id. A relay may publish a row twice; the server runs it once by this key. */
  idempotencyKey: string;
}

export interface OutboxSendOptions {
  /** Partition and ordering key. Default: the method's `@key` field of the payload. */
  key?: string;
  /** Default: the call id. Every outbox message carries one, since a relay may publish a row twice. */
  idempotencyKey?: string;
  headers?: Record<string, string>;
}

export interface OutboxRelayOptions {
  /** Rows read and published per round, ms. Default 100 (`defaultOutboxBatch`). */
  batch?: number;
  /** How often an idle relay looks for rows, besides being woken by a send, ms. Default 1,000 (`defaultOutboxPollMs`). */
  pollMs?: number;
  /** First wait after the broker failed a publish, ms; doubles up to `maxBackoffMs`. Default 100. */
  initialBackoffMs?: number;
  /** Longest wait between attempts while the broker is down, ms. Default 5,000. */
  maxBackoffMs?: number;
}

/** Rows a relay reads and publishes per round. */
export const defaultOutboxBatch = 100;

/** How often an idle relay looks for rows it was not told about (another process's, or a lost notice), ms. */
export const defaultOutboxPollMs = 1_000;

export interface OutboxRelayStats {
  /** Rows published, confirmed and marked sent by this relay. */
  relayed: number;
  /** Rounds that failed (a publish refused, the broker or the database unreachable). */
  failures: number;
  /** The last failure's message, until a round succeeds. */
  lastError: string | undefined;
}

/** A relay at work: publishing an outbox's rows to a transport until stopped. */
export interface OutboxRelay {
  stats(): OutboxRelayStats;
  /** Finishes the round under way, then stops. */
  stop(): Promise<void>;
}

/** An outbox that a relay can drain: `Ferry.relayOutbox` and `ferry outbox relay` start it. */
export interface RelaySource {
  startRelay(transport: Transport, options?: OutboxRelayOptions): OutboxRelay;
}
