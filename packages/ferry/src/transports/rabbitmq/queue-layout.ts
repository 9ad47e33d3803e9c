import { randomUUID } from "node:crypto";
import { defaultMaxDeliveries, defaultMaxLength, defaultOverflow } from "../../core/defaults.js";
import { InvalidArgumentError } from "../../core/errors.js";
import { hashKey } from "../../core/partition.js";
import type { TopicOptions } from "../../core/transport.js";
import type { AmqpQueueOptions } from "./amqp-api.js";

/** Which of a topic's two sets of queues: classic auto-delete queues, or durable quorum queues. */
export type QueueSet = "core" | "durable";

/** One queue of a topic: a keyed partition, or the lane of messages without a key (`partition` = the partition count). */
export interface Lane {
  queue: string;
  partition: number;
  keyed: boolean;
}

/** A group's queue: a lane, and the routing key that binds it to the topic's exchange. */
export interface GroupLane extends Lane {
  routingKey: string;
}

/** The suffix of a dead-letter topic. */
const deadLetterSuffix = ".dlq";
/** Queue names are at most 255 bytes; the longest suffix added to a topic is `/durable/k255`. */
const maxTopicBytes = 200;
/** RabbitMQ's limit on a queue or exchange name, bytes. */
const maxNameBytes = 255;

/**
 * Names of everything the transport makes on RabbitMQ, under one prefix. A topic `T` has, in each
 * set, one queue per keyed partition (`<prefix>/T/k<n>`, single active consumer, so one member
 * handles a partition in order) and one lane for messages without a key (`<prefix>/T/any`, shared
 * by every member). The durable set puts `durable/` before the lane. `<prefix>/T.dlq` holds its
 * dead letters; reply queues are `<prefix>/~reply/<uuid>`. `/` cannot appear in a topic, so no
 * two topics share a queue.
 *
 * Each consumer group has its own core queues, `<prefix>/T/=<group>/k<n>` and `.../any`, bound
 * to the topic's direct exchange `<prefix>/T` with routing keys `k<n>` and `any`: a publish to
 * the exchange reaches every group, each its own copy. The core queues without a group hold what
 * was published while no group was bound, for whichever member comes first.
 */
export class QueueLayout {
  constructor(
    readonly prefix: string,
    readonly partitions: number,
  ) {}

  check(topic: string): void {
    if (typeof topic !== "string" || topic.length === 0 || topic.includes("/") || Buffer.byteLength(topic) > maxTopicBytes) {
      throw new InvalidArgumentError(`rabbitmq: a topic must be 1 to ${maxTopicBytes} bytes without "/", got ${JSON.stringify(topic)}`);
    }
  }

  /** Every queue of a set: the keyed partitions, then the unkeyed lane. */
  lanes(topic: string, set: QueueSet): Lane[] {
    const lanes: Lane[] = [];
    for (let partition = 0; partition < this.partitions; partition++) lanes.push({ queue: this.keyed(topic, set, partition), partition, keyed: true });
    lanes.push({ queue: this.unkeyed(topic, set), partition: this.partitions, keyed: false });
    return lanes;
  }

  /** Where a message with `key` (or none) goes. */
  queueFor(topic: string, set: QueueSet, key: string | undefined): string {
    return key === undefined ? this.unkeyed(topic, set) : this.keyed(topic, set, hashKey(key) % this.partitions);
  }

  unkeyed(topic: string, set: QueueSet): string {
    return `${this.prefix}/${topic}/${set === "durable" ? "durable/" : ""}any`;
  }

  keyed(topic: string, set: QueueSet, partition: number): string {
    return `${this.prefix}/${topic}/${set === "durable" ? "durable/" : ""}k${partition}`;
  }

  /** The topic's exchange: a publish to it reaches every group's queue of its lane. */
  exchange(topic: string): string {
    return `${this.prefix}/${topic}`;
  }

  /** The routing key of the lane a message with `key` (or none) goes to. */
  routingKey(key: string | undefined): string {
    return key === undefined ? "any" : `k${hashKey(key) % this.partitions}`;
  }

  /** The core queues of one consumer group, each with the routing key binding it to the exchange. */
  groupLanes(topic: string, group: string): GroupLane[] {
    if (typeof group !== "string" || group.length === 0 || Buffer.byteLength(`${this.prefix}/${topic}/=${group}/k${this.partitions - 1}`) > maxNameBytes) {
      throw new InvalidArgumentError(`rabbitmq: a consumer group must be a non-empty string short enough that "${this.prefix}/${topic}/=<group>/k${this.partitions - 1}" stays within ${maxNameBytes} bytes, got ${JSON.stringify(group)}`);
    }
    const base = `${this.prefix}/${topic}/=${group}`;
    const lanes: GroupLane[] = [];
    for (let partition = 0; partition < this.partitions; partition++) lanes.push({ queue: `${base}/k${partition}`, partition, keyed: true, routingKey: `k${partition}` });
    lanes.push({ queue: `${base}/any`, partition: this.partitions, keyed: false, routingKey: "any" });
    return lanes;
  }

  deadLetterQueue(topic: string): string {
    return `${this.prefix}/${topic}${deadLetterSuffix}`;
  }

  /** The topic whose dead letters `topic` names, when it is a dead-letter topic. */
  deadLettersOf(topic: string): string | undefined {
    return topic.endsWith(deadLetterSuffix) ? topic.slice(0, -deadLetterSuffix.length) : undefined;
  }

  /** The topic and partition of a queue name, for dead letters RabbitMQ made itself. */
  originOf(queue: string): { topic: string; partition: number } {
    const match = /^(.*?)\/(?:durable\/)?(any|k(\d+))$/.exec(queue.slice(this.prefix.length + 1));
    if (match === null) return { topic: queue, partition: 0 };
    return { topic: match[1]!, partition: match[3] === undefined ? this.partitions : Number(match[3]) };
  }

  replyQueue(): string {
    return `${this.prefix}/~reply/${randomUUID()}`;
  }
}

/**
 * How a queue of a set is declared. Core: classic, not durable, deleted with its last consumer
 * (so a publish to a topic nobody serves any more is returned, which is how `NO_RESPONDERS` is
 * detected). Durable: a quorum queue, replicated `replicas` times, whose delivery limit
 * dead-letters, through the default exchange, to the topic's dead-letter queue a message whose
 * consumers died on it `maxDeliveries` times. Both bound their length with `x-max-length` and the
 * topic's overflow policy; keyed partitions have a single active consumer.
 */
export function queueOptions(set: QueueSet, keyed: boolean, options: TopicOptions, deadLetterQueue: string, replicas: number): AmqpQueueOptions {
  const args: Record<string, unknown> = {
    "x-max-length": options.maxLength ?? defaultMaxLength,
    "x-overflow": (options.overflow ?? defaultOverflow) === "reject" ? "reject-publish" : "drop-head",
  };
  if (keyed) args["x-single-active-consumer"] = true;
  if (set === "core") return { durable: false, autoDelete: true, arguments: args };
  args["x-queue-type"] = "quorum";
  args["x-quorum-initial-group-size"] = replicas;
  args["x-delivery-limit"] = options.maxDeliveries ?? defaultMaxDeliveries;
  args["x-dead-letter-exchange"] = "";
  args["x-dead-letter-routing-key"] = deadLetterQueue;
  return { durable: true, arguments: args };
}

/** Dead letters are kept on disk, whatever the topic: a durable classic queue. */
export const deadLetterQueueOptions: AmqpQueueOptions = { durable: true };
