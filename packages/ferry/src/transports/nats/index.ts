// The public surface of `ferry/nats`.
export { NatsMode, type NatsTransportOptions } from "./nats-options.js";
export { NatsTransport } from "./nats-transport.js";
export { NatsKvIdempotencyStore, type NatsKvIdempotencyStoreOptions } from "./kv-idempotency-store.js";
