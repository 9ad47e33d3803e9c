import type { ClientBase, Notification, Pool, PoolClient } from "pg";
import { checkMethod, checkOptions } from "../core/call-arguments.js";
import type { MethodDefinition } from "../core/definition.js";
import { describeValue } from "../core/describe-value.js";
import { InvalidArgumentError } from "../core/errors.js";
import { eventMessage } from "../core/event-message.js";
import type { OutboxReceipt, OutboxRelay, OutboxRelayOptions, OutboxRow, OutboxSendOptions, RelaySource } from "../core/outbox/outbox.js";
import { publishInOrder } from "../core/outbox/publish-in-order.js";
import { RelayLoop, relaySettings, type RelayRound } from "../core/outbox/relay-loop.js";
import { positiveMs } from "../core/store-options.js";
import type { Transport } from "../core/transport.js";
import { channelName, lostCreateRace, tableName, type TableName } from "./sql-names.js";

export interface PostgresOutboxOptions {
  /** Schema of the table. Default: none, the connection's search path (usually `public`). */
  schema?: string;
  /** The table, created if missing. Default `ferry_outbox`. */
  table?: string;
  /** How long a sent row is kept before a relay deletes it, ms. Default 1 h (`defaultKeepSentMs`). */
  keepSentMs?: number;
  /**
   * Whether `send` ends with a `NOTIFY` that wakes the relays at the commit. Default true. PostgreSQL
   * serialises the commits of transactions that notified (one lock on the notify queue), which
   * costs throughput when many transactions send at once; with `false` a relay finds rows at its
   * next poll (`pollMs`) instead.
   */
  notify?: boolean;
}

/** How long a PostgreSQL outbox keeps its sent rows (for inspection), ms. */
export const defaultKeepSentMs = 60 * 60 * 1000;

/** Something that runs SQL: the application's `pg` client inside its transaction (or a pool, outside one). */
export type SqlClient = Pick<ClientBase, "query">;

interface StoredRow {
  id: string;
  topic: string;
  partition_key: string | null;
  message_id: string;
  durable: boolean;
  bytes: Buffer;
}

interface RelayedRow extends OutboxRow {
  id: string;
}

/**
 * The transactional outbox on PostgreSQL: `send(tx, ...)` inserts the message into the outbox
 * table with the application's own client, inside its own transaction, so the message exists if
 * and only if the transaction commits. A relay (`startRelay`, `Ferry.relayOutbox`, or the
 * `ferry outbox relay` command) publishes committed rows and marks them sent after the broker's
 * confirm; a crash in between publishes the row again, with the same call id and idempotency key,
 * and a server with an idempotency store runs it once.
 *
 * Several relays may run at once: each round locks a batch with `FOR UPDATE SKIP LOCKED` and
 * publishes a row only when no earlier unsent row of its key is held elsewhere, so rows of one key
 * are published in id order, each after the one before it was confirmed.
 */
export class PostgresOutbox implements RelaySource {
  readonly name: TableName;
  private readonly channel: string;
  private readonly keepSentMs: number;
  private readonly notify: boolean;

  private constructor(
    private readonly pool: Pool,
    options: PostgresOutboxOptions,
  ) {
    this.name = tableName("PostgresOutbox", options.schema, options.table, "ferry_outbox");
    this.channel = channelName(this.name, "sent");
    this.keepSentMs = Math.round(positiveMs("PostgresOutbox", "keepSentMs", options.keepSentMs, defaultKeepSentMs));
    if (options.notify !== undefined && typeof options.notify !== "boolean") throw new InvalidArgumentError(`PostgresOutbox: notify must be a boolean, got ${describeValue(options.notify)}`);
    this.notify = options.notify ?? true;
  }

  /** Creates the table if missing and returns the outbox. `pool` is what relays read with. */
  static async open(pool: Pool, options: PostgresOutboxOptions = {}): Promise<PostgresOutbox> {
    if (typeof pool?.connect !== "function" || typeof pool.query !== "function") throw new InvalidArgumentError("PostgresOutbox.open: expected a pg Pool");
    const outbox = new PostgresOutbox(pool, options);
    await outbox.createTable();
    return outbox;
  }

  /**
   * Writes `method(payload)` into the outbox with `tx`, the client of the application's
   * transaction: it is published once that transaction commits, and never if it rolls back. An
   * event, or a call whose reply nobody waits for (the server runs it; the reply goes nowhere).
   */
  async send<Req>(tx: SqlClient, method: MethodDefinition<Req, unknown>, payload: Req, options: OutboxSendOptions = {}): Promise<OutboxReceipt> {
    if (typeof tx?.query !== "function") throw new InvalidArgumentError("PostgresOutbox.send: expected a pg client (the one of your transaction)");
    checkMethod(method, "PostgresOutbox.send");
    checkOptions(options, "PostgresOutbox.send");
    const message = eventMessage(method, payload, options, true);
    const values = [message.topic, message.key ?? null, message.messageId, message.durable, Buffer.from(message.bytes)];
    const insert = `INSERT INTO ${this.name.sql} (topic, partition_key, message_id, durable, bytes) VALUES ($1, $2, $3, $4, $5)`;
    // NOTIFY inside the transaction is delivered at its commit: the relays wake as the row becomes visible.
    if (this.notify) await tx.query(`WITH row AS (${insert} RETURNING id) SELECT pg_notify($6, '') FROM row`, [...values, this.channel]);
    else await tx.query(insert, values);
    return { callId: message.callId, idempotencyKey: message.messageId };
  }

  /** Committed rows not yet sent. */
  async pending(): Promise<number> {
    const result = await this.pool.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${this.name.sql} WHERE sent_at IS NULL`);
    return result.rows[0]!.count;
  }

  /** Starts a relay publishing committed rows to `transport`; it LISTENs on a connection of its own to wake at each commit. */
  startRelay(transport: Transport, options: OutboxRelayOptions = {}): OutboxRelay {
    const settings = relaySettings(options);
    let listener: { client: PoolClient; stop(): void } | undefined;
    let lastSweep = 0;
    const relay: RelayLoop = new RelayLoop(
      async () => {
        listener ??= await this.listen(() => relay.wake());
        if (Date.now() - lastSweep > Math.min(this.keepSentMs, 60_000)) {
          lastSweep = Date.now();
          await this.deleteSent();
        }
        return this.round(transport, settings.batch);
      },
      settings,
      async () => {
        if (listener === undefined) return;
        await listener.client.query(`UNLISTEN "${this.channel}"`).catch(() => undefined);
        listener.stop();
        listener.client.release();
      },
    );
    return relay;
  }

  /** One round: lock a batch, publish what may go now, mark what the broker confirmed, commit. */
  private async round(transport: Transport, batch: number): Promise<RelayRound> {
    const table = this.name.sql;
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await client.query<StoredRow & { locked: number }>(
        `WITH locked AS (
           SELECT id, topic, partition_key, message_id, durable, bytes FROM ${table}
           WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
         )
         SELECT locked.*, (SELECT count(*) FROM locked)::int AS locked FROM locked
         WHERE locked.partition_key IS NULL OR NOT EXISTS (
           SELECT 1 FROM ${table} earlier
           WHERE earlier.sent_at IS NULL AND earlier.partition_key = locked.partition_key AND earlier.id < locked.id
             AND earlier.id NOT IN (SELECT id FROM locked)
         )
         ORDER BY id`,
        [batch],
      );
      const rows: RelayedRow[] = result.rows.map((row) => ({
        id: row.id,
        topic: row.topic,
        bytes: row.bytes,
        key: row.partition_key ?? undefined,
        messageId: row.message_id,
        durable: row.durable,
      }));
      const locked = result.rows[0]?.locked ?? 0;
      const { sent, error } = await publishInOrder(transport, rows);
      if (sent.length > 0) {
        await client.query(`UPDATE ${table} SET sent_at = clock_timestamp() WHERE id = ANY($1::bigint[])`, [sent.map((row) => row.id)]);
      }
      await client.query("COMMIT");
      const blocked = rows.length < locked || (rows.length === 0 && (await this.anyUnsent(client)));
      return { sent: sent.length, error, more: error === undefined && locked === batch && rows.length > 0, blocked: error === undefined && blocked };
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Whether unsent rows exist that this relay could not lock (another relay holds them): look again soon. */
  private async anyUnsent(client: PoolClient): Promise<boolean> {
    const result = await client.query(`SELECT 1 FROM ${this.name.sql} WHERE sent_at IS NULL LIMIT 1`);
    return result.rows.length > 0;
  }

  private async deleteSent(): Promise<void> {
    const table = this.name.sql;
    await this.pool.query(
      `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE sent_at IS NOT NULL AND sent_at < clock_timestamp() - $1 * interval '1 millisecond' LIMIT 10000)`,
      [this.keepSentMs],
    );
  }

  /** A connection of the relay's own that LISTENs for commits; if it drops, the relay polls every `pollMs`. */
  private async listen(wake: () => void): Promise<{ client: PoolClient; stop(): void }> {
    const client = await this.pool.connect();
    const onNotice = (notice: Notification): void => {
      if (notice.channel === this.channel) wake();
    };
    const onError = (): void => undefined;
    client.on("notification", onNotice);
    client.on("error", onError);
    await client.query(`LISTEN "${this.channel}"`);
    return {
      client,
      stop: () => {
        client.off("notification", onNotice);
        client.off("error", onError);
      },
    };
  }

  private async createTable(): Promise<void> {
    const table = this.name.sql;
    try {
      await this.pool.query(
        `CREATE TABLE IF NOT EXISTS ${table} (
           id bigserial PRIMARY KEY,
           topic text NOT NULL,
           partition_key text,
           message_id text NOT NULL,
           durable boolean NOT NULL,
           bytes bytea NOT NULL,
           created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
           sent_at timestamptz
         )`,
      );
      await this.pool.query(`CREATE INDEX IF NOT EXISTS "${this.name.table}_unsent" ON ${table} (id) WHERE sent_at IS NULL`);
    } catch (error) {
      if (!lostCreateRace(error)) throw error;
    }
  }
}
