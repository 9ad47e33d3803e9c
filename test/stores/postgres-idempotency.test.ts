import { expect } from "chai";
import { PostgresIdempotencyStore } from "../../packages/ferry/src/postgres/postgres-idempotency-store.js";
import { describeSharedIdempotencyStore } from "../conformance/idempotency-store.js";
import { rejection } from "../support/wait.js";
import { testSchema } from "./databases.js";

describe("PostgresIdempotencyStore", () => {
  let db: Awaited<ReturnType<typeof testSchema>>;
  before(async () => {
    db = await testSchema("idempotency");
  });
  after(() => db.drop());
  afterEach(() => db.pool.query(`DROP TABLE IF EXISTS "${db.schema}".ferry_idempotency`));

  describeSharedIdempotencyStore((times) => PostgresIdempotencyStore.open(db.pool, { schema: db.schema, ...times }));

  it("refuses a key past maxPostgresKeyBytes with INVALID_ARGUMENT", async () => {
    const store = await PostgresIdempotencyStore.open(db.pool, { schema: db.schema });
    const error = await rejection(store.claim("k".repeat(2_001), "f"));
    expect(error.code).to.equal("INVALID_ARGUMENT");
    await store.close();
  });

  it("refuses a table name that is not a plain identifier", async () => {
    const error = await rejection(PostgresIdempotencyStore.open(db.pool, { schema: db.schema, table: 'x"; drop table y; --' }));
    expect(error.code).to.equal("INVALID_ARGUMENT");
    expect(error.message).to.contain("table");
  });

  it("sweeps rows whose TTL ran out", async () => {
    const store = await PostgresIdempotencyStore.open(db.pool, { schema: db.schema, ttlMs: 50 });
    await store.claim("k", "f");
    await store.complete("k", { ok: true, body: undefined });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await store.sweep()).to.equal(1);
    const rows = await db.pool.query(`SELECT count(*)::int AS n FROM "${db.schema}".ferry_idempotency`);
    expect(rows.rows[0].n).to.equal(0);
    await store.close();
  });
});
