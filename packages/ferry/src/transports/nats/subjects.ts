import { hash } from "node:crypto";
import { InvalidArgumentError } from "../../core/errors.js";
import { hashKey } from "../../core/partition.js";

/** The lane of a durable topic that carries messages without a key: never held back by ordering. */
export const unkeyedLane = "u";

const dlqSuffix = ".dlq";

/**
 * Ferry topic names to NATS names. Topic `svc.Calculator` under prefix `ferry` is subject
 * `ferry.svc.Calculator` (core), partition lanes `ferry.svc.Calculator.<p>.*` with one subject
 * per key, `ferry.svc.Calculator.<p>.<key token>`, plus the unkeyed lane `ferry.svc.Calculator.u`
 * (durable), stream `ferry_svc_Calculator`, dead letters on `ferry.svc.Calculator.dlq.<p>` in
 * stream `ferry_svc_Calculator_DLQ`.
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

  /** Durable mode: the subject of the unkeyed lane, or the first tokens of a partition's key subjects. */
  lane(topic: string, lane: number | typeof unkeyedLane): string {
    return `${this.prefix}.${topic}.${lane}`;
  }

  /**
   * Durable mode: every subject of a lane, for the stream and the lane's consumer. A partition has
   * one subject per key, so JetStream can say which message of a key is the earliest it still holds.
   */
  laneSubjects(topic: string, lane: number | typeof unkeyedLane): string {
    return lane === unkeyedLane ? this.lane(topic, lane) : `${this.lane(topic, lane)}.*`;
  }

  /** Durable mode: the subject of `key`'s messages, in partition `partition`. */
  keySubject(topic: string, partition: number, key: string): string {
    return `${this.lane(topic, partition)}.${keyToken(key)}`;
  }

  /** The lane a durable subject of `topic` belongs to: its partition, or the unkeyed lane. */
  laneOf(topic: string, subject: string): number | typeof unkeyedLane | undefined {
    const head = `${this.prefix}.${topic}.`;
    if (!subject.startsWith(head)) return undefined;
    const lane = subject.slice(head.length).split(".")[0]!;
    if (lane === unkeyedLane) return unkeyedLane;
    return /^\d+$/.test(lane) ? Number(lane) : undefined;
  }

  /** Durable mode: where the members of `topic` tell each other that a key's message is done (core NATS). */
  turnNotices(topic: string): string {
    return `${this.prefix}._turn.${topic}`;
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

/**
 * A key as one subject token: keys may hold any character, tokens only some. 128 bits of SHA-256,
 * base64url: two keys sharing a token would only take turns together, and none ever will.
 */
export function keyToken(key: string): string {
  return hash("sha256", key, "base64url").slice(0, 22);
}

/** The partition a key lands on: the same FNV-1a hash as the embedded broker. */
export function partitionOf(key: string, partitions: number): number {
  return hashKey(key) % partitions;
}
