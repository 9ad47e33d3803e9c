import type { BrokerStats, Ferry } from "../../../packages/ferry/src/index.js";
import { runFerryCli } from "./ferry-cli.js";

/** A topic's backlog at one moment, summed over its partitions. */
export interface BacklogSample {
  /** Messages held: queued, or delivered and not yet acknowledged. */
  depth: number;
  /** Delivered and not yet acknowledged. */
  inFlight: number;
}

/** Reads a topic's backlog; `source` says where the figures come from. */
export interface BacklogProbe {
  readonly source: string;
  sample(): Promise<BacklogSample>;
}

/** Sums a topic's depth and in-flight count out of broker statistics (zero for a topic not there yet). */
export function backlogOf(stats: BrokerStats, topic: string): BacklogSample {
  const found = stats.topics.find((candidate) => candidate.name === topic);
  const depth = found?.partitions.reduce((sum, partition) => sum + partition.depth, 0) ?? 0;
  const inFlight = found?.groups.reduce((sum, group) => sum + group.partitions.reduce((inGroup, partition) => inGroup + partition.inFlight, 0), 0) ?? 0;
  return { depth, inFlight };
}

/** The TCP broker's figures, read the way an operator would: by running `ferry stats`. */
export function ferryStatsProbe(brokerUrl: string, topic: string): BacklogProbe {
  return {
    source: "ferry stats",
    sample: async () => backlogOf(JSON.parse(await runFerryCli(["stats", "--url", brokerUrl, "--json"])) as BrokerStats, topic),
  };
}

/** What the runtime's transport reports (on NATS durable mode: read from JetStream; on RabbitMQ: a passive declare of each queue). */
export function runtimeStatsProbe(ferry: Ferry, topic: string, from = "JetStream"): BacklogProbe {
  return {
    source: `ferry.stats() (from ${from})`,
    sample: async () => backlogOf((await ferry.stats()).broker, topic),
  };
}
