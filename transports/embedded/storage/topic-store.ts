import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeValue, encodeValue } from "../../../core/codec.js";
import type { StoredMessage } from "../partition-log.js";
import type { ResolvedTopicOptions } from "../topic.js";
import { AppendFile, type FsyncPolicy } from "./append-file.js";
import { PartitionStore, type RecoveredMessage } from "./partition-store.js";
import { encodeRecord, readRecords } from "./record-format.js";

/** What a group had settled of a partition when the broker stopped. */
export interface SettledState {
  /** Every offset below this was settled. */
  committed: number;
  /** Settled offsets at or above `committed`. */
  settled: Set<number>;
}

export interface RecoveredTopic {
  options: ResolvedTopicOptions;
  /** Consumer groups and whether they consume in key order. */
  groups: Map<string, { ordered: boolean }>;
  partitions: { messages: RecoveredMessage[]; nextOffset: number }[];
  /** group -> partition -> settled state. */
  settled: Map<string, SettledState[]>;
  /** Per partition, the first offset not dropped by `drop-oldest` overflow. */
  starts: number[];
}

const ACK = 0;
const COMMITTED = 1;
/** `drop-oldest` moved a partition's start: nothing below it is served again. */
const STARTS_AT = 2;
/** The ack journal is rewritten as a snapshot once it grows past this. */
const COMPACT_ACKS_BYTES = 4 * 1024 * 1024;

/**
 * A durable topic's directory: `meta.json` (options, groups), one directory of segments per
 * partition, and `acks.log`, the journal of settled offsets per group, so acknowledged messages
 * are not redelivered after a restart and unacknowledged ones are.
 *
 * Under `always`, the journal is still synced on the storage's interval rather than per batch:
 * an ack lost to a machine crash only redelivers a message that was handled (at least once, and
 * idempotent handlers replay), and a second fdatasync per batch cost about a fifth of durable throughput.
 * A killed broker process loses nothing written: the OS still holds it.
 */
export class TopicStore {
  private readonly partitions: PartitionStore[];
  private readonly starts: number[];
  private acks: AppendFile;

  private constructor(
    private readonly dir: string,
    private readonly policy: FsyncPolicy,
    partitions: PartitionStore[],
    private readonly report: (line: string) => void,
  ) {
    this.partitions = partitions;
    this.starts = new Array<number>(partitions.length).fill(0);
    this.acks = new AppendFile(join(dir, "acks.log"), ackJournalPolicy(policy));
  }

  /** Creates the directory of a new durable topic. */
  static create(dir: string, policy: FsyncPolicy, segmentBytes: number, maxRecordBytes: number, options: ResolvedTopicOptions, report: (line: string) => void): TopicStore {
    mkdirSync(dir, { recursive: true });
    writeMeta(dir, options, new Map());
    const partitions = Array.from({ length: options.partitions }, (_, p) => PartitionStore.recover(join(dir, String(p)), policy, segmentBytes, maxRecordBytes, report).store);
    return new TopicStore(dir, policy, partitions, report);
  }

  static recover(dir: string, policy: FsyncPolicy, segmentBytes: number, maxRecordBytes: number, report: (line: string) => void): { store: TopicStore; recovered: RecoveredTopic } {
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as { options: ResolvedTopicOptions; groups: Record<string, { ordered: boolean }> };
    const partitions: PartitionStore[] = [];
    const messages: RecoveredTopic["partitions"] = [];
    for (let p = 0; p < meta.options.partitions; p++) {
      const { store, messages: recovered, nextOffset } = PartitionStore.recover(join(dir, String(p)), policy, segmentBytes, maxRecordBytes, report);
      partitions.push(store);
      messages.push({ messages: recovered, nextOffset });
    }
    const { settled, starts } = readAcks(join(dir, "acks.log"), meta.options.partitions, report);
    const store = new TopicStore(dir, policy, partitions, report);
    starts.forEach((offset, partition) => (store.starts[partition] = offset));
    return { store, recovered: { options: meta.options, groups: new Map(Object.entries(meta.groups)), partitions: messages, settled, starts } };
  }

  append(partition: number, message: StoredMessage): Promise<void> {
    return this.partitions[partition]!.append(message);
  }

  /** Journals a settled offset. Not awaited: a lost ack means one more delivery, never a lost message. */
  settled(group: string, partition: number, offset: number): void {
    this.acks.append(encodeRecord(encodeValue([ACK, group, partition, offset]))).catch((error: Error) => this.report(`ack journal write failed: ${error.message}`));
  }

  /** Journals that a partition now starts at `offset` (its older messages were dropped). */
  startsAt(partition: number, offset: number): void {
    this.starts[partition] = offset;
    this.acks.append(encodeRecord(encodeValue([STARTS_AT, "", partition, offset]))).catch((error: Error) => this.report(`ack journal write failed: ${error.message}`));
  }

  saveMeta(options: ResolvedTopicOptions, groups: Map<string, { ordered: boolean }>): void {
    writeMeta(this.dir, options, groups);
  }

  trimTo(partition: number, offset: number): void {
    this.partitions[partition]!.trimTo(offset);
  }

  /**
   * Rewrites the ack journal as a snapshot of `state` once it has grown past its limit. Done
   * synchronously, so no ack is appended to the old file after the snapshot was taken (an ack
   * still being written to it can only cause one more delivery).
   */
  compactAcks(state: () => Map<string, SettledState[]>): void {
    if (this.acks.size < COMPACT_ACKS_BYTES) return;
    const records: Buffer[] = this.starts.map((offset, partition) => encodeRecord(encodeValue([STARTS_AT, "", partition, offset])));
    for (const [group, partitions] of state()) {
      partitions.forEach((settled, partition) => {
        records.push(encodeRecord(encodeValue([COMMITTED, group, partition, settled.committed])));
        for (const offset of settled.settled) records.push(encodeRecord(encodeValue([ACK, group, partition, offset])));
      });
    }
    const path = join(this.dir, "acks.log");
    writeFileSync(`${path}.tmp`, Buffer.concat(records));
    renameSync(`${path}.tmp`, path);
    const old = this.acks;
    this.acks = new AppendFile(path, ackJournalPolicy(this.policy));
    void old.close();
  }

  async sync(): Promise<void> {
    await Promise.all([...this.partitions.map((partition) => partition.sync()), this.acks.sync()]);
  }

  async close(): Promise<void> {
    await Promise.all([...this.partitions.map((partition) => partition.close()), this.acks.close()]);
  }
}

function writeMeta(dir: string, options: ResolvedTopicOptions, groups: Map<string, { ordered: boolean }>): void {
  const path = join(dir, "meta.json");
  writeFileSync(`${path}.tmp`, JSON.stringify({ options, groups: Object.fromEntries(groups) }, null, 2));
  renameSync(`${path}.tmp`, path);
}

function readAcks(path: string, partitions: number, report: (line: string) => void): { settled: Map<string, SettledState[]>; starts: number[] } {
  const settled = new Map<string, SettledState[]>();
  const starts = new Array<number>(partitions).fill(0);
  if (!existsSync(path)) return { settled, starts };
  const file = readFileSync(path);
  const { payloads, validBytes, damage } = readRecords(file, 1024 * 1024);
  if (damage !== undefined) report(`recovered ${path}: ${damage}; ignored ${file.length - validBytes} bytes (those acks will be redelivered)`);
  for (const payload of payloads) {
    const [kind, group, partition, offset] = decodeValue(payload) as [number, string, number, number];
    if (partition < 0 || partition >= partitions) continue;
    if (kind === STARTS_AT) {
      starts[partition] = Math.max(starts[partition]!, offset);
      continue;
    }
    let states = settled.get(group);
    if (states === undefined) settled.set(group, (states = Array.from({ length: partitions }, () => ({ committed: 0, settled: new Set<number>() }))));
    const state = states[partition]!;
    if (kind === COMMITTED) state.committed = Math.max(state.committed, offset);
    else state.settled.add(offset);
  }
  for (const states of settled.values()) {
    for (const state of states) {
      while (state.settled.delete(state.committed)) state.committed++;
      for (const offset of state.settled) if (offset < state.committed) state.settled.delete(offset);
    }
  }
  return { settled, starts };
}

/** Acks are synced on the interval timer under `always` too (see `TopicStore`). */
function ackJournalPolicy(policy: FsyncPolicy): FsyncPolicy {
  return policy === "always" ? "interval" : policy;
}
