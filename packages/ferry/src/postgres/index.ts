// The public surface of `ferry/postgres`: needs the pg package (an optional peer of ferry).
export { PostgresIdempotencyStore, defaultSweepMs, maxPostgresKeyBytes, type PostgresIdempotencyStoreOptions } from "./postgres-idempotency-store.js";
export { PostgresOutbox, defaultKeepSentMs, type PostgresOutboxOptions, type SqlClient } from "./postgres-outbox.js";
export { defaultJoinPollMs, defaultSharedLeaseMs } from "../core/lease-renewals.js";
export { defaultOutboxBatch, defaultOutboxPollMs, type OutboxReceipt, type OutboxRelay, type OutboxRelayOptions, type OutboxRelayStats, type OutboxSendOptions } from "../core/outbox/outbox.js";
