import { defaultBrokerUrl } from "../broker/server/broker-address.js";
import type { BrokerStats, Transport } from "../core/transport.js";
import { importOptionalPeer } from "../transports/optional-peer.js";
import { UsageError } from "./cli-errors.js";
import type { CommandRun } from "./commands.js";

/** `ferry stats`: what a running broker holds, per topic, partition and consumer group (TCP broker or NATS). */
export const statsCommand: CommandRun = async ({ strings, booleans }) => {
  const url = strings.get("url") ?? process.env.FERRY_URL ?? defaultBrokerUrl;
  const token = strings.get("token") ?? process.env.FERRY_TOKEN;
  const transport = await openStatsTransport(url, token);
  try {
    const stats = await transport.stats();
    process.stdout.write(booleans.has("json") ? `${JSON.stringify(stats, null, 2)}\n` : formatStats(stats));
  } finally {
    await transport.close();
  }
  return 0;
};

async function openStatsTransport(url: string, token: string | undefined): Promise<Transport> {
  const scheme = /^([a-z]+):\/\//.exec(url)?.[1];
  if (scheme === "nats") {
    const { NatsTransport } = await importOptionalPeer(() => import("../transports/nats/index.js"), "nats", "ferry stats --url nats://...");
    // Durable mode: so the JetStream topics are listed, which are the only ones NATS keeps a queue for.
    return NatsTransport.connect({ url, mode: "durable", maxReconnectAttempts: 0, ...(token === undefined ? {} : { token }) });
  }
  if (scheme === "ferry" || scheme === "ferrys") {
    const { TcpTransport } = await import("../transports/tcp/tcp-transport.js");
    return TcpTransport.connect({ url, ...(token === undefined ? {} : { token }) });
  }
  throw new UsageError(`--url must be ferry://host:port, ferrys://host:port or nats://host:port, got ${JSON.stringify(url)}`);
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
