import type { Redis } from "ioredis";
import pg from "pg";

/** The machine's Redis and PostgreSQL (also CI's): tests use keys and schemas of their own. */
export const redisUrl = process.env["FERRY_TEST_REDIS"] ?? "redis://127.0.0.1:6379";
export const postgresUrl = process.env["FERRY_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432/test";

/** Deletes every key under `prefix`. */
export async function deleteRedisPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
}

/** A schema of its own for one test file, and a pool whose connections use it; `drop` removes both. */
export async function testSchema(label: string): Promise<{ schema: string; pool: pg.Pool; drop(): Promise<void> }> {
  const schema = `ferry_${label}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  await admin.end();
  const pool = new pg.Pool({ connectionString: postgresUrl, max: 20 });
  return {
    schema,
    pool,
    async drop() {
      await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
      await pool.end();
    },
  };
}
