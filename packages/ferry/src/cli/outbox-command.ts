import { defaultBrokerUrl } from "../broker/server/broker-address.js";
import { connect } from "../connect.js";
import { importOptionalPeer } from "../transports/optional-peer.js";
import { UsageError } from "./cli-errors.js";
import type { ParsedCommandArgs } from "./command-spec.js";
import type { CommandRun } from "./commands.js";
import type { OutboxRelayOptions } from "../core/outbox/outbox.js";

/**
 * `ferry outbox relay`: publishes the committed rows of a PostgreSQL outbox table to a broker
 * until SIGINT or SIGTERM. Any number may run beside each other and beside in-process relays.
 */
export const outboxCommand: CommandRun = async (args) => {
  if (args.positionals[0] !== "relay") throw new UsageError(`unknown outbox action ${JSON.stringify(args.positionals[0])}; the action is relay`);
  const database = args.strings.get("database") ?? process.env.DATABASE_URL;
  if (database === undefined) throw new UsageError("--database (or DATABASE_URL) is required: the PostgreSQL database holding the outbox table");
  if (!/^postgres(ql)?:\/\//.test(database)) throw new UsageError(`--database must be a postgres:// url, got ${JSON.stringify(database)}`);
  const url = args.strings.get("url") ?? process.env.FERRY_URL ?? defaultBrokerUrl;
  const token = args.strings.get("token") ?? process.env.FERRY_TOKEN;
  const relayOptions = outboxRelayOptions(args);
  const pg = await importOptionalPeer(() => import("pg"), "pg", "ferry outbox relay");
  const { PostgresOutbox } = await import("../postgres/postgres-outbox.js");
  const pool = new pg.default.Pool({ connectionString: database, max: 2 });
  const tableOptions = { ...optional("schema", args.strings.get("schema")), ...optional("table", args.strings.get("table")) };
  try {
    const outbox = await PostgresOutbox.open(pool, tableOptions);
    const ferry = await connect({ url, ...(token === undefined ? {} : { token }) });
    const relay = ferry.relayOutbox(outbox, relayOptions);
    process.stdout.write(`ferry outbox relay: ${outbox.name.sql} to ${url}\n`);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await ferry.close();
    const stats = relay.stats();
    process.stdout.write(`relayed ${stats.relayed} rows (${stats.failures} failed rounds)\n`);
  } finally {
    await pool.end();
  }
  return 0;
};

function outboxRelayOptions({ strings }: ParsedCommandArgs): OutboxRelayOptions {
  const options: OutboxRelayOptions = {};
  const batch = strings.get("batch");
  if (batch !== undefined) {
    if (!/^[1-9]\d*$/.test(batch)) throw new UsageError(`--batch must be a positive whole number, got ${JSON.stringify(batch)}`);
    options.batch = Number(batch);
  }
  const pollMs = strings.get("poll-ms");
  if (pollMs !== undefined) {
    if (!/^[1-9]\d*$/.test(pollMs)) throw new UsageError(`--poll-ms must be a positive whole number of milliseconds, got ${JSON.stringify(pollMs)}`);
    options.pollMs = Number(pollMs);
  }
  return options;
}

function optional<K extends string>(name: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [name]: value } as Record<K, string>);
}
