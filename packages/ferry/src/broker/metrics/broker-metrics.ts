import type { Attributes, Meter } from "@opentelemetry/api";
import type { Broker } from "../broker.js";
import { watchSyncs } from "../storage/sync-watch.js";

/** The names of the broker's metrics; README ("Observability") says what each measures. */
export const BrokerMetric = {
  PartitionDepth: "ferry.broker.partition.depth",
  PartitionPublished: "ferry.broker.partition.published",
  GroupLag: "ferry.broker.group.lag",
  GroupInFlight: "ferry.broker.group.in_flight",
  GroupConsumers: "ferry.broker.group.consumers",
  GroupRedeliveries: "ferry.broker.group.redeliveries",
  GroupDeadLettered: "ferry.broker.group.dead_lettered",
  Connections: "ferry.broker.connections",
  ReplyQueues: "ferry.broker.reply_queues",
  FsyncBatchSize: "ferry.broker.fsync.batch_size",
  FsyncDuration: "ferry.broker.fsync.duration",
} as const;

/** What the broker's metrics read: the broker, and the count of connections when it serves TCP. */
export interface BrokerMetricsSource {
  broker: Broker;
  connections?: () => number;
}

/**
 * Registers the broker's gauges on `meter`, read from `broker.stats()` once per collection (a
 * scrape), and its fsync histograms, fed by the durable storage. Returns the way to stop.
 */
export function registerBrokerMetrics(meter: Meter, source: BrokerMetricsSource): () => void {
  const depth = meter.createObservableGauge(BrokerMetric.PartitionDepth, { unit: "{message}", description: "Messages a partition holds: queued for some group, or in flight" });
  const published = meter.createObservableCounter(BrokerMetric.PartitionPublished, { unit: "{message}", description: "Messages published to a partition since the broker started" });
  const lag = meter.createObservableGauge(BrokerMetric.GroupLag, { unit: "{message}", description: "Messages published but not yet acknowledged by a consumer group" });
  const inFlight = meter.createObservableGauge(BrokerMetric.GroupInFlight, { unit: "{message}", description: "Messages delivered to a group and not yet settled" });
  const consumers = meter.createObservableGauge(BrokerMetric.GroupConsumers, { unit: "{consumer}", description: "Consumers in a group" });
  const redeliveries = meter.createObservableCounter(BrokerMetric.GroupRedeliveries, { unit: "{message}", description: "Redeliveries to a group (nacks and ack timeouts)" });
  const deadLettered = meter.createObservableCounter(BrokerMetric.GroupDeadLettered, { unit: "{message}", description: "Messages a group's failures sent to the dead-letter topic" });
  const connections = meter.createObservableGauge(BrokerMetric.Connections, { unit: "{connection}", description: "Client connections open to the TCP broker" });
  const replyQueues = meter.createObservableGauge(BrokerMetric.ReplyQueues, { unit: "{queue}", description: "Reply queues open" });
  const batchSize = meter.createHistogram(BrokerMetric.FsyncBatchSize, {
    unit: "{record}",
    description: "Records put on disk by one fsync (durable topics)",
    advice: { explicitBucketBoundaries: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096] },
  });
  const fsyncDuration = meter.createHistogram(BrokerMetric.FsyncDuration, {
    unit: "s",
    description: "Time one fsync batch took to reach the disk (durable topics)",
    advice: { explicitBucketBoundaries: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] },
  });
  const observables = [depth, published, lag, inFlight, consumers, redeliveries, deadLettered, connections, replyQueues];
  const collect = (result: import("@opentelemetry/api").BatchObservableResult) => {
    const stats = source.broker.stats();
    for (const topic of stats.topics) {
      for (const partition of topic.partitions) {
        const attributes: Attributes = { "messaging.destination.name": topic.name, "messaging.destination.partition.id": String(partition.partition) };
        result.observe(depth, partition.depth, attributes);
        result.observe(published, partition.published, attributes);
      }
      for (const group of topic.groups) {
        result.observe(consumers, group.consumers, { "messaging.destination.name": topic.name, "messaging.consumer.group.name": group.group });
        for (const partition of group.partitions) {
          const attributes: Attributes = {
            "messaging.destination.name": topic.name,
            "messaging.consumer.group.name": group.group,
            "messaging.destination.partition.id": String(partition.partition),
          };
          result.observe(lag, partition.lag, attributes);
          result.observe(inFlight, partition.inFlight, attributes);
          result.observe(redeliveries, partition.redeliveries, attributes);
          result.observe(deadLettered, partition.deadLettered, attributes);
        }
      }
    }
    result.observe(replyQueues, stats.replyQueues);
    if (source.connections !== undefined) result.observe(connections, source.connections());
  };
  meter.addBatchObservableCallback(collect, observables);
  const stopSyncs = watchSyncs((records, seconds) => {
    batchSize.record(records);
    fsyncDuration.record(seconds);
  });
  return () => {
    meter.removeBatchObservableCallback(collect, observables);
    stopSyncs();
  };
}
