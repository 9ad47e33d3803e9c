// The public surface of `ferry/redis`: needs the ioredis package (an optional peer of ferry).
export { RedisIdempotencyStore, type RedisIdempotencyStoreOptions } from "./redis-idempotency-store.js";
export { defaultJoinPollMs, defaultSharedLeaseMs } from "../core/lease-renewals.js";
