import type { BrokerStats } from "../core/transport.js";
import { TcpTransport } from "../transports/embedded/wire/tcp-transport.js";
import { parseFlags, UsageError } from "./args.js";
import type { Command } from "./main.js";
import { usageLines } from "./usage.js";

/** `ferry stats`: what a running broker holds, per topic, partition and consumer group. */
export const statsCommand: Command = async (args) => {
  let url: string;
  let token: string | undefined;
  let json: boolean;
  try {
    const { values, flags, positional } = parseFlags(args, { values: ["url", "token"], flags: ["json"] });
    if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
    url = values.get("url") ?? process.env.FERRY_URL ?? "ferry://127.0.0.1:7400";
    token = values.get("token") ?? process.env.FERRY_TOKEN;
    json = flags.has("json");
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`ferry stats: ${error.message}\nusage: ${usageLines.stats}\n`);
    return 2;
  }
  const transport = await TcpTransport.connect({ url, ...(token === undefined ? {} : { token }) });
  try {
    const stats = await transport.stats();
    process.stdout.write(json ? `${JSON.stringify(stats, null, 2)}\n` : formatStats(stats));
  } finally {
    await transport.close();
  }
  return 0;
};

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
