import { defaultBrokerUrl } from "../broker/server/broker-address.js";
import { openTransport } from "../connect.js";
import type { DeadLetterFilter } from "../core/dead-letter-filter.js";
import { DeadLetterQueue, type DeadLetterEntry } from "../core/dead-letter-queue.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { Transport } from "../core/transport.js";
import { UsageError } from "./cli-errors.js";
import type { CommandRun } from "./commands.js";
import { parseSince } from "./parse-since.js";

const actions = ["list", "show", "replay", "purge"] as const;
type Action = (typeof actions)[number];

/**
 * `ferry dlq list|show|replay|purge`: a service's dead letters on a running broker (TCP broker,
 * or NATS for durable topics), through `DeadLetterQueue`.
 */
export const dlqCommand: CommandRun = async ({ strings, booleans, positionals }) => {
  const action = positionals[0] as Action;
  if (!actions.includes(action)) throw new UsageError(`the action must be one of ${actions.join(", ")}, got ${JSON.stringify(positionals[0])}`);
  if (action === "show" && positionals.length !== 2) throw new UsageError("show takes the id of one entry, as list prints it: ferry dlq show <id> --service S");
  if (action !== "show" && positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
  const service = strings.get("service");
  if (service === undefined) throw new UsageError("--service is required: the service whose dead letters to read");
  const filter = readFilter(strings);
  const rate = readRate(strings.get("rate"));
  const transport = await openDlqTransport(strings.get("url") ?? process.env.FERRY_URL ?? defaultBrokerUrl, strings.get("token") ?? process.env.FERRY_TOKEN);
  try {
    const queue = new DeadLetterQueue(transport, service);
    const json = booleans.has("json");
    const body = !booleans.has("no-body");
    switch (action) {
      case "list": {
        const entries = await queue.list(filter);
        write(json ? `${JSON.stringify(entries.map((entry) => entryJson(entry, body)), null, 2)}\n` : entries.map((entry) => entryText(entry, body)).join("") || "no dead letters\n");
        return 0;
      }
      case "show": {
        const entry = await queue.show(positionals[1]!);
        if (entry === undefined) {
          process.stderr.write(`ferry dlq: no entry ${positionals[1]} in ${queue.topic} (replayed or purged?)\n`);
          return 1;
        }
        write(json ? `${JSON.stringify(entryJson(entry, body), null, 2)}\n` : entryText(entry, body));
        return 0;
      }
      case "replay": {
        const report = await queue.replay(filter, rate === undefined ? {} : { rate });
        if (json) write(`${JSON.stringify(report, null, 2)}\n`);
        else {
          write(`replayed ${report.replayed}, skipped ${report.skipped}, failed ${report.failed}\n`);
          for (const failure of report.failures) write(`  ${failure.id}: ${failure.error}\n`);
        }
        return report.failed > 0 ? 1 : 0;
      }
      case "purge": {
        const purged = await queue.purge(filter);
        write(json ? `${JSON.stringify({ purged })}\n` : `purged ${purged}\n`);
        return 0;
      }
    }
  } catch (error) {
    // A wrong service name or filter is the user's input: a usage error, exit 2.
    if (error instanceof InvalidArgumentError) throw new UsageError(error.message);
    throw error;
  } finally {
    await transport.close();
  }
};

function readFilter(strings: ReadonlyMap<string, string>): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  const method = strings.get("method");
  const error = strings.get("error");
  const since = strings.get("since");
  const limit = strings.get("limit");
  if (method !== undefined) filter.method = method;
  if (error !== undefined) filter.error = error;
  if (since !== undefined) filter.since = parseSince(since, Date.now());
  if (limit !== undefined) {
    if (!/^[1-9]\d{0,8}$/.test(limit)) throw new UsageError(`--limit must be a positive integer, got ${JSON.stringify(limit)}`);
    filter.limit = Number(limit);
  }
  return filter;
}

function readRate(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const rate = /^\d{1,9}(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(rate > 0)) throw new UsageError(`--rate must be a positive number of entries per second, got ${JSON.stringify(text)}`);
  return rate;
}

function openDlqTransport(url: string, token: string | undefined): Promise<Transport> {
  if (!/^(ferry|ferrys|nats|amqp|amqps):\/\//.test(url)) throw new UsageError(`--url must be ferry://host:port, ferrys://host:port, nats://host:port or amqp://host:port, got ${JSON.stringify(url)}`);
  const auth = token === undefined ? {} : { token };
  // NATS in durable mode: only durable topics keep their dead letters (in a stream). RabbitMQ: queues under the default prefix.
  return openTransport({ url, ...auth, nats: { mode: "durable", maxReconnectAttempts: 0, ...auth } });
}

/** An entry as --json prints it: the record with its request as JSON, and without its raw bytes. */
function entryJson(entry: DeadLetterEntry, body: boolean): Record<string, unknown> {
  const { bytes: _bytes, request, ...rest } = entry;
  return { ...rest, deadLetteredAt: new Date(entry.deadLetteredAt).toISOString(), ...(body ? { request: jsonSafe(request) } : {}) };
}

function entryText(entry: DeadLetterEntry, body: boolean): string {
  const lines = [
    `${entry.id}  ${new Date(entry.deadLetteredAt).toISOString()}  ${entry.origin.topic}  ${entry.method ?? "?"}  key ${entry.key ?? "-"}  deliveries ${entry.deliveryCount}`,
    `  error: ${entry.error.code}: ${entry.error.message}`,
    `  call ${entry.callId ?? "-"}  idempotency key ${entry.idempotencyKey ?? "-"}`,
  ];
  if (entry.unreadable !== undefined) lines.push(`  unreadable: ${entry.unreadable}`);
  else if (body) lines.push(`  request: ${JSON.stringify(jsonSafe(entry.request))}`);
  return `${lines.join("\n")}\n`;
}

/** What JSON cannot hold as is (bigint, bytes, Map) as a readable stand-in. */
function jsonSafe(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, inner: unknown) => {
      if (typeof inner === "bigint") return inner.toString();
      if (inner instanceof Uint8Array) return `<${inner.length} bytes>`;
      if (inner instanceof Map) return Object.fromEntries(inner);
      if (inner instanceof Set) return [...inner];
      return inner;
    }) ?? "null",
  );
}

function write(text: string): void {
  process.stdout.write(text);
}
