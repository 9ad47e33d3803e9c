import type { JetStreamManager } from "nats";
import type { GroupStats, TopicStats } from "../../core/transport.js";
import type { DurableTopic } from "./durable-topics.js";
import { Subjects, unkeyedLane } from "./subjects.js";

/**
 * Broker statistics read from JetStream: every Ferry stream under the prefix, its lanes' depths
 * (per-subject counts, summed over a partition's keys), each group's consumers (pending, in
 * flight, redelivered) and the dead letters per partition (per-subject counts of the DLQ stream).
 * The unkeyed lane is reported as the partition after the last. `published`, `dropped` and
 * `expired` are not kept by JetStream and read 0 here: the transport adds what its own members
 * counted as expired.
 */
export async function durableTopicStats(jsm: JetStreamManager, subjects: Subjects): Promise<TopicStats[]> {
  const result: TopicStats[] = [];
  for await (const stream of jsm.streams.list(`${subjects.prefix}.>`)) {
    const described = parse(stream.config.description);
    if (described === undefined || stream.config.name !== subjects.stream(described.topic)) continue;
    const { topic, partitions } = described;
    const depthByLane = new Map<number, number>();
    // A partition holds one subject per key: its depth is theirs summed.
    for (const [subject, count] of await subjectCounts(jsm, stream.config.name)) {
      const lane = subjects.laneOf(topic, subject);
      if (lane === undefined) continue;
      const index = lane === unkeyedLane ? partitions : lane;
      depthByLane.set(index, (depthByLane.get(index) ?? 0) + count);
    }
    const deadByLane = new Map<number, number>();
    for (const [subject, count] of await subjectCounts(jsm, subjects.deadLetterStream(topic))) {
      const lane = subject.slice(subject.lastIndexOf(".") + 1);
      deadByLane.set(lane === unkeyedLane ? partitions : Number(lane), count);
    }
    const lanes = Array.from({ length: partitions + 1 }, (_, lane) => lane);
    const groups = new Map<string, GroupStats>();
    for await (const consumer of jsm.consumers.list(stream.config.name)) {
      const about = parseConsumer(consumer.config.description);
      if (about === undefined) continue;
      const group = groups.get(about.group) ?? { group: about.group, consumers: 0, partitions: [] };
      groups.set(about.group, group);
      const lane = about.lane === unkeyedLane ? partitions : Number(about.lane);
      group.consumers = Math.max(group.consumers, consumer.push_bound === true ? 1 : (consumer.num_waiting > 0 ? 1 : 0));
      group.partitions.push({
        partition: lane,
        owner: undefined,
        lag: consumer.num_pending + consumer.num_ack_pending,
        inFlight: consumer.num_ack_pending,
        redeliveries: consumer.num_redelivered,
        deadLettered: deadByLane.get(lane) ?? 0,
        expired: 0,
      });
    }
    for (const group of groups.values()) group.partitions.sort((a, b) => a.partition - b.partition);
    result.push({
      name: topic,
      partitions: lanes.map((lane) => ({ partition: lane, depth: depthByLane.get(lane) ?? 0, published: 0, dropped: 0 })),
      groups: [...groups.values()],
    });
  }
  return result;
}

async function subjectCounts(jsm: JetStreamManager, stream: string): Promise<Map<string, number>> {
  try {
    const info = await jsm.streams.info(stream, { subjects_filter: ">" });
    return new Map(Object.entries(info.state.subjects ?? {}));
  } catch {
    return new Map();
  }
}

function parse(description: string | undefined): DurableTopic | undefined {
  try {
    const value = JSON.parse(description ?? "") as Partial<DurableTopic>;
    return typeof value.topic === "string" && typeof value.partitions === "number" ? (value as DurableTopic) : undefined;
  } catch {
    return undefined;
  }
}

function parseConsumer(description: string | undefined): { group: string; lane: number | string } | undefined {
  try {
    const value = JSON.parse(description ?? "") as { group?: unknown; lane?: unknown };
    return typeof value.group === "string" ? { group: value.group, lane: value.lane as number | string } : undefined;
  } catch {
    return undefined;
  }
}
