// An application process for the outbox tests: sends orders through a PostgresOutbox or a
// FileOutbox, tells the test over IPC once every send has resolved (committed, or fsynced), and
// relays if told where the broker is, until the test kills it (kill -9).
import pg from "pg";
import { connect } from "../../packages/ferry/src/connect.js";
import { FileOutbox } from "../../packages/ferry/src/core/outbox/file-outbox.js";
import { PostgresOutbox } from "../../packages/ferry/src/postgres/postgres-outbox.js";
import { customers, Shipping, type OutboxChildPlan } from "./outbox-service.js";

const plan = JSON.parse(process.argv[2]!) as OutboxChildPlan;
const ferry = plan.brokerUrl === undefined ? undefined : await connect({ url: plan.brokerUrl });

if (plan.kind === "postgres") {
  const pool = new pg.Pool({ connectionString: plan.postgresUrl, max: 4 });
  const outbox = await PostgresOutbox.open(pool, { schema: plan.schema! });
  if (ferry !== undefined) ferry.relayOutbox(outbox, { pollMs: 200, initialBackoffMs: 50, maxBackoffMs: 200 });
  const send = async (order: number, commit: boolean): Promise<void> => {
    const tx = await pool.connect();
    try {
      await tx.query("BEGIN");
      await outbox.send(tx, Shipping.methods.shipped, { order, customer: customers[Math.abs(order) % customers.length]! });
      await tx.query(commit ? "COMMIT" : "ROLLBACK");
    } finally {
      tx.release();
    }
  };
  for (let n = 1; n <= (plan.rolledBack ?? 0); n++) await send(-n, false);
  for (let order = plan.first; order < plan.first + plan.count; order++) await send(order, true);
} else {
  const outbox = await FileOutbox.open(plan.directory!);
  if (ferry !== undefined) ferry.relayOutbox(outbox, { pollMs: 200, initialBackoffMs: 50, maxBackoffMs: 200 });
  for (let order = plan.first; order < plan.first + plan.count; order++) {
    await outbox.send(Shipping.methods.shipped, { order, customer: customers[order % customers.length]! });
  }
}
process.send?.({ sent: plan.count });
