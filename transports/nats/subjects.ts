import { InvalidArgumentError } from "../../core/errors.js";
import { hashKey } from "../../core/partition.js";

/** The lane of a durable topic that carries messages without a key: never held back by ordering. */
export const unkeyedLane = "u";

const dlqSuffix = ".dlq";

/**
 * Ferry topic names to NATS names. Topic `svc.Calculator` under prefix `ferry` is subject
 * `ferry.svc.Calculator` (core), partition subjects `ferry.svc.Calculator.<p>` plus the unkeyed
 * lane `ferry.svc.Calculator.u` (durable), stream `ferry_svc_Calculator`, dead letters on
 * `ferry.svc.Calculator.dlq.<p>` in stream `ferry_svc_Calculator_DLQ`.
 */
export class Subjects {
  constructor(readonly prefix: string) {
    if (!/^[A-Za-z0-9_-]+$/.test(prefix)) throw new InvalidArgumentError(`nats: prefix ${JSON.stringify(prefix)} may hold letters, digits, - and _ only`);
  }

  /** Checks a topic name: NATS subject tokens, no wildcards or spaces. */
  check(topic: string): void {
    if (!/^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$/.test(topic)) {
      throw new InvalidArgumentError(`nats: topic ${JSON.stringify(topic)} must be dot-separated tokens of letters, digits, - and _`);
    }
  }

  /** Core mode: the one subject of a topic. */
  subject(topic: string): string {
    return `${this.prefix}.${topic}`;
  }

  /** Durable mode: the subject of partition `partition`, or of the unkeyed lane. */
  lane(topic: string, lane: number | typeof unkeyedLane): string {
    return `${this.prefix}.${topic}.${lane}`;
  }

  /** `svc.X.dlq` is the dead-letter topic of `svc.X`. */
  deadLetterOf(topic: string): string | undefined {
    return topic.endsWith(dlqSuffix) ? topic.slice(0, -dlqSuffix.length) : undefined;
  }

  deadLetterTopic(topic: string): string {
    return topic + dlqSuffix;
  }

  /** Where dead letters of `topic` from `partition` go (core and durable). */
  deadLetterSubject(topic: string, partition: number | typeof unkeyedLane): string {
    return `${this.prefix}.${topic}${dlqSuffix}.${partition}`;
  }

  stream(topic: string): string {
    return `${this.prefix}_${topic.replace(/\./g, "_")}`;
  }

  deadLetterStream(topic: string): string {
    return `${this.stream(topic)}_DLQ`;
  }

  /** Consumer of `group` on one lane. */
  consumer(group: string, lane: number | string): string {
    return `${group.replace(/[^A-Za-z0-9_-]/g, "_")}_${lane}`;
  }

  kvBucket(name: string): string {
    return `${this.prefix}_${name}`;
  }
}

/** The partition a key lands on: the same FNV-1a hash as the embedded broker. */
export function partitionOf(key: string, partitions: number): number {
  return hashKey(key) % partitions;
}
