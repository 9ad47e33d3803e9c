import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StoredMessage } from "../partition-log.js";
import type { ResolvedTopicOptions } from "../topic.js";
import { AckJournal, clipToEnds, type SettledState } from "./ack-journal.js";
import type { FsyncPolicy } from "./fsync-policy.js";
import { PartitionStore, type RecoveredMessage } from "./partition-store.js";
import { RemovedJournal } from "./removed-journal.js";
import type { MessagePosition } from "../message-position.js";

export interface RecoveredTopic {
  options: ResolvedTopicOptions;
  /** Consumer groups and whether they consume in key order. */
  groups: Map<string, { ordered: boolean }>;
  partitions: { messages: RecoveredMessage[]; nextOffset: number }[];
  /** group -> partition -> settled state. */
  settled: Map<string, SettledState[]>;
  /** Per partition, the first offset not dropped by `drop-oldest` overflow. */
  starts: number[];
  /** Messages deleted by `Transport.remove` that the segments still hold. */
  removed: MessagePosition[];
}

/**
 * A durable topic's directory: `meta.json` (options, groups), one directory of segments per
 * partition, and `acks.log`, the journal of settled offsets per group (see `AckJournal`).
 */
export class TopicStore {
  private readonly partitions: PartitionStore[];
  private readonly acks: AckJournal;
  private readonly removals: RemovedJournal;

  private constructor(
    private readonly dir: string,
    policy: FsyncPolicy,
    partitions: PartitionStore[],
    starts: number[],
    report: (line: string) => void,
  ) {
    this.partitions = partitions;
    this.acks = new AckJournal(join(dir, "acks.log"), policy, starts, report);
    this.removals = new RemovedJournal(join(dir, "removed.log"), policy);
  }

  /** Creates the directory of a new durable topic. */
  static create(dir: string, policy: FsyncPolicy, segmentBytes: number, maxRecordBytes: number, options: ResolvedTopicOptions, report: (line: string) => void): TopicStore {
    mkdirSync(dir, { recursive: true });
    writeMeta(dir, options, new Map());
    const partitions = Array.from({ length: options.partitions }, (_, p) => PartitionStore.recover(join(dir, String(p)), policy, segmentBytes, maxRecordBytes, report).store);
    return new TopicStore(dir, policy, partitions, new Array<number>(options.partitions).fill(0), report);
  }

  /**
   * Reads a topic back: its segments first, then its ack journal, cut to what the segments still
   * hold. A journal that had to be cut (or was damaged) is rewritten before anything is appended.
   */
  static recover(dir: string, policy: FsyncPolicy, segmentBytes: number, maxRecordBytes: number, report: (line: string) => void): { store: TopicStore; recovered: RecoveredTopic } {
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as { options: ResolvedTopicOptions; groups: Record<string, { ordered: boolean }> };
    const partitions: PartitionStore[] = [];
    const messages: RecoveredTopic["partitions"] = [];
    for (let p = 0; p < meta.options.partitions; p++) {
      const { store, messages: recovered, nextOffset } = PartitionStore.recover(join(dir, String(p)), policy, segmentBytes, maxRecordBytes, report);
      partitions.push(store);
      messages.push({ messages: recovered, nextOffset });
    }
    const acksPath = join(dir, "acks.log");
    const { state, damaged } = AckJournal.read(acksPath, meta.options.partitions, report);
    if (clipToEnds(state, messages.map((partition) => partition.nextOffset))) {
      report(`recovered ${acksPath}: dropped acks of offsets past the recovered segments (those offsets will be reused)`);
      AckJournal.replace(acksPath, state);
    } else if (damaged) {
      AckJournal.replace(acksPath, state);
    }
    const removed = RemovedJournal.recover(join(dir, "removed.log"), messages, report);
    // The journal keeps its own copy of the starts: it moves them as `drop-oldest` drops messages.
    const store = new TopicStore(dir, policy, partitions, [...state.starts], report);
    return { store, recovered: { options: meta.options, groups: new Map(Object.entries(meta.groups)), partitions: messages, settled: state.settled, starts: state.starts, removed } };
  }

  append(partition: number, message: StoredMessage): Promise<void> {
    return this.partitions[partition]!.append(message);
  }

  /** Journals messages deleted by `Transport.remove`; resolves once that is on disk as the fsync policy says. */
  removed(positions: readonly MessagePosition[]): Promise<void> {
    return this.removals.append(positions);
  }

  /** Journals a settled offset. Not awaited: a lost ack means one more delivery, never a lost message. */
  settled(group: string, partition: number, offset: number): void {
    this.acks.settled(group, partition, offset);
  }

  /** Journals that a partition now starts at `offset` (its older messages were dropped). */
  startsAt(partition: number, offset: number): void {
    this.acks.startsAt(partition, offset);
  }

  saveMeta(options: ResolvedTopicOptions, groups: Map<string, { ordered: boolean }>): void {
    writeMeta(this.dir, options, groups);
  }

  trimTo(partition: number, offset: number): void {
    this.partitions[partition]!.trimTo(offset);
  }

  /** Rewrites the ack journal as a snapshot of `state` once it has grown past its limit. */
  compactAcks(state: () => Map<string, SettledState[]>): void {
    this.acks.compact(state);
  }

  /** Rewrites the ack journal as a snapshot of `state` now. */
  snapshotAcks(state: Map<string, SettledState[]>): void {
    this.acks.rewrite(state);
  }

  async sync(): Promise<void> {
    await Promise.all([...this.partitions.map((partition) => partition.sync()), this.acks.sync(), this.removals.sync()]);
  }

  async close(): Promise<void> {
    await Promise.all([...this.partitions.map((partition) => partition.close()), this.acks.close(), this.removals.close()]);
  }
}

function writeMeta(dir: string, options: ResolvedTopicOptions, groups: Map<string, { ordered: boolean }>): void {
  const path = join(dir, "meta.json");
  writeFileSync(`${path}.tmp`, JSON.stringify({ options, groups: Object.fromEntries(groups) }, null, 2));
  renameSync(`${path}.tmp`, path);
}
