import { defaultBrokerUrl } from "../broker/server/broker-address.js";
import type { BrokerStats, Transport } from "../core/transport.js";
import { openTransport } from "../connect.js";
import { UsageError } from "./cli-errors.js";
import type { CommandRun } from "./commands.js";

/** `ferry stats`: what a running broker holds, per topic, partition and consumer group (TCP broker or NATS). */
export const statsCommand: CommandRun = async ({ strings, booleans }) => {
  const url = strings.get("url") ?? process.env.FERRY_URL ?? defaultBrokerUrl;
  const token = strings.get("token") ?? process.env.FERRY_TOKEN;
  const transport = await openStatsTransport(url, token, strings.get("topics"));
  try {
    const stats = await transport.stats();
    process.stdout.write(booleans.has("json") ? `${JSON.stringify(stats, null, 2)}\n` : formatStats(stats));
  } finally {
    await transport.close();
  }
  return 0;
};

function openStatsTransport(url: string, token: string | undefined, topics: string | undefined): Promise<Transport> {
  if (!/^(ferry|ferrys|nats|amqp|amqps):\/\//.test(url)) throw new UsageError(`--url must be ferry://host:port, ferrys://host:port, nats://host:port or amqp://host:port, got ${JSON.stringify(url)}`);
  const auth = token === undefined ? {} : { token };
  // RabbitMQ: AMQP cannot list queues, so the topics to report are named (a passive declare each).
  if (/^amqps?:/.test(url)) {
    if (topics === undefined) throw new UsageError("--topics is required with an amqp:// url (AMQP cannot list queues): --topics svc.Orders,svc.Payments");
    return openTransport({ url, rabbitmq: { statsTopics: topics.split(",").filter((topic) => topic !== "") } });
  }
  // NATS in durable mode, so the JetStream topics are listed: the only ones NATS keeps a queue for.
  return openTransport({ url, ...auth, nats: { mode: "durable", maxReconnectAttempts: 0, ...auth } });
}

/** One row per topic partition and consumer group, aligned. */
export function formatStats(stats: BrokerStats): string {
  const header = ["topic", "partition", "depth", "published", "dropped", "group", "consumers", "owner", "lag", "in flight", "redelivered", "dead-lettered", "expired"];
  const rows: string[][] = [];
  for (const topic of stats.topics) {
    for (const partition of topic.partitions) {
      const base = [topic.name, String(partition.partition), String(partition.depth), String(partition.published), String(partition.dropped)];
      if (topic.groups.length === 0) rows.push([...base, "-", "0", "-", "-", "-", "-", "-", "-"]);
      for (const group of topic.groups) {
        const p = group.partitions[partition.partition]!;
        rows.push([...base, group.group, String(group.consumers), p.owner ?? "-", String(p.lag), String(p.inFlight), String(p.redeliveries), String(p.deadLettered), String(p.expired)]);
      }
    }
  }
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column < 1 || column === 5 || column === 7 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ").trimEnd();
  const totals = `reply queues: ${stats.replyQueues}, replies dropped: ${stats.repliesDropped}`;
  return [line(header), ...rows.map(line), "", totals, ""].join("\n");
}
