import type { ConnectionOptions } from "nats";

/** How requests travel by default: core NATS (at-most-once, fastest) or JetStream (durable). */
export const NatsMode = { Core: "core", Durable: "durable" } as const;
export type NatsMode = (typeof NatsMode)[keyof typeof NatsMode];

/**
 * Options of the NATS transport: every `nats` connection option (`servers`, `user`, `pass`,
 * `token`, `tls`, `reconnectTimeWait`, ...) plus Ferry's own.
 */
export interface NatsTransportOptions extends ConnectionOptions {
  /** A `nats://host:port` url, added to `servers`. */
  url?: string;
}
