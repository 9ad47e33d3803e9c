import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { RedisIdempotencyStore } from "../../packages/ferry/src/redis/redis-idempotency-store.js";
import { describeSharedIdempotencyStore } from "../conformance/idempotency-store.js";
import { rejection } from "../support/wait.js";
import { deleteRedisPrefix, redisUrl } from "./databases.js";

describe("RedisIdempotencyStore", () => {
  const prefix = `ferry-test:${randomUUID()}:`;
  let redis: Redis;
  before(() => {
    redis = new Redis(redisUrl);
  });
  after(async () => {
    await deleteRedisPrefix(redis, prefix);
    redis.disconnect();
  });
  afterEach(() => deleteRedisPrefix(redis, prefix));

  describeSharedIdempotencyStore((times) => RedisIdempotencyStore.open(redis, { prefix, ...times }));

  it("refuses options of the wrong type, naming them", async () => {
    const error = await rejection(RedisIdempotencyStore.open(redis, { leaseMs: "10s" as unknown as number }));
    expect(error.code).to.equal("INVALID_ARGUMENT");
    expect(error.message).to.contain("leaseMs");
  });

  it("writes every key under its prefix, with an expiry", async () => {
    const store = await RedisIdempotencyStore.open(redis, { prefix, ttlMs: 60_000 });
    await store.claim("k", "f");
    await store.complete("k", { ok: true, body: undefined });
    const ttl = await redis.pttl(`${prefix}k`);
    expect(ttl).to.be.within(1, 60_000);
    await store.close();
  });
});
