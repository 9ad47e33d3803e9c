import type { GroupStats, PartitionStats, TopicStats } from "../../core/transport.js";
import type { LaneConsumer } from "./lane-consumer.js";
import type { QueueDeclarer } from "./queue-declarer.js";
import type { GroupLane, QueueLayout } from "./queue-layout.js";

/**
 * A topic's stats from RabbitMQ, by passive declare of each of its queues (no management plugin
 * needed): depth is the messages ready in the partition's queues (those delivered and
 * unacknowledged are not counted by RabbitMQ's answer): the durable set, the core queues without a
 * group, and the queues of the groups it can name (those of this connection's members, and a
 * service's default group, its name: AMQP cannot list the others). Consumers are the members on
 * its unkeyed queue without a group, which every member of every group consumes. In flight, redeliveries, dead letters and expiries are counted by this
 * connection's own members: RabbitMQ keeps no such counters it would tell over AMQP. Undefined
 * when the topic has no queue and no member here.
 */
/** A service's topic is `svc.<Service>`, and its servers' group is the service's name unless they chose another. */
const serviceTopicPrefix = "svc.";

/** A group's queues, or none for a name too long to have any. */
function groupLanesOrNone(layout: QueueLayout, topic: string, group: string): GroupLane[] {
  try {
    return layout.groupLanes(topic, group);
  } catch {
    return [];
  }
}

export async function topicStats(topic: string, layout: QueueLayout, declarer: QueueDeclarer, consumers: readonly LaneConsumer[]): Promise<TopicStats | undefined> {
  const partitions: PartitionStats[] = Array.from({ length: layout.partitions + 1 }, (_, partition) => ({ partition, depth: 0, published: 0, dropped: 0 }));
  let exists = false;
  let members = 0;
  for (const set of ["core", "durable"] as const) {
    for (const lane of layout.lanes(topic, set)) {
      const info = await declarer.check(lane.queue);
      if (info === undefined) continue;
      exists = true;
      partitions[lane.partition]!.depth += info.messageCount;
      if (!lane.keyed) members = Math.max(members, info.consumerCount);
    }
  }
  const namedGroups = new Set(consumers.map((consumer) => consumer.settings.group));
  if (topic.startsWith(serviceTopicPrefix)) namedGroups.add(topic.slice(serviceTopicPrefix.length));
  for (const group of namedGroups) {
    for (const lane of groupLanesOrNone(layout, topic, group)) {
      const info = await declarer.check(lane.queue);
      if (info === undefined) continue;
      exists = true;
      partitions[lane.partition]!.depth += info.messageCount;
    }
  }
  if (!exists && consumers.length === 0) return undefined;
  const groupNames = consumers.length === 0 ? ["*"] : [...new Set(consumers.map((consumer) => consumer.settings.group))];
  const groups: GroupStats[] = groupNames.map((group) => {
    const own = consumers.filter((consumer) => consumer.settings.group === group);
    return {
      group,
      consumers: members,
      partitions: partitions.map(({ partition, depth }) => {
        const counted = own.map((consumer) => consumer.stats(partition));
        const sum = (field: "inFlight" | "redeliveries" | "deadLettered" | "expired"): number => counted.reduce((total, stats) => total + stats[field], 0);
        return { partition, owner: undefined, lag: depth, inFlight: sum("inFlight"), redeliveries: sum("redeliveries"), deadLettered: sum("deadLettered"), expired: sum("expired") };
      }),
    };
  });
  return { name: topic, partitions, groups };
}
