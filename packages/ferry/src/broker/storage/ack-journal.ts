import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { decodeValue, encodeValue } from "../../core/wire/codec.js";
import { AppendFile } from "./append-file.js";
import type { FsyncPolicy } from "./fsync-policy.js";
import { encodeRecord, readRecords } from "./record-format.js";

/** What a group had settled of a partition when the broker stopped. */
export interface SettledState {
  /** Every offset below this was settled. */
  committed: number;
  /** Settled offsets at or above `committed`. */
  settled: Set<number>;
}

/** Everything the journal says about a topic. */
export interface AckState {
  /** group -> partition -> settled state. */
  settled: Map<string, SettledState[]>;
  /** Per partition, the first offset not dropped by `drop-oldest` overflow. */
  starts: number[];
}

const ACK = 0;
const COMMITTED = 1;
/** `drop-oldest` moved a partition's start: nothing below it is served again. */
const STARTS_AT = 2;
/** The journal is rewritten as a snapshot once it grows past this. */
const COMPACT_BYTES = 4 * 1024 * 1024;
/** Largest journal record read back (a group name and three numbers). */
const MAX_RECORD_BYTES = 1024 * 1024;

/**
 * A durable topic's `acks.log`: settled offsets per group and partition starts, as CRC'd records,
 * so acknowledged messages are not redelivered after a restart and unacknowledged ones are.
 *
 * Under `always`, the journal is still synced on the storage's interval rather than per batch:
 * an ack lost to a machine crash only redelivers a message that was handled (at least once, and
 * idempotent handlers replay), and a second fdatasync per batch cost about a fifth of durable throughput.
 * A killed broker process loses nothing written: the OS still holds it.
 */
export class AckJournal {
  private file: AppendFile;

  constructor(
    private readonly path: string,
    private readonly policy: FsyncPolicy,
    private readonly starts: number[],
    private readonly report: (line: string) => void,
  ) {
    this.file = new AppendFile(path, journalPolicy(policy));
  }

  /**
   * Reads a journal back. A damaged record ends it (what follows is ignored, and those acks are
   * redelivered); `damaged` says so, since later appends behind the damage would be ignored too.
   */
  static read(path: string, partitions: number, report: (line: string) => void): { state: AckState; damaged: boolean } {
    const settled = new Map<string, SettledState[]>();
    const starts = new Array<number>(partitions).fill(0);
    if (!existsSync(path)) return { state: { settled, starts }, damaged: false };
    const file = readFileSync(path);
    const { payloads, validBytes, damage } = readRecords(file, MAX_RECORD_BYTES);
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
    return { state: { settled, starts }, damaged: damage !== undefined };
  }

  /**
   * Replaces the journal at `path` with a snapshot of `state`, on disk before it returns: the
   * file and its directory entry are synced, so no crash can bring the old journal back.
   * Recovery calls it before the broker takes any publish.
   */
  static replace(path: string, state: AckState): void {
    const temporary = `${path}.tmp`;
    const fd = openSync(temporary, "w", 0o666);
    try {
      const bytes = snapshot(state);
      for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
    const dir = openSync(dirname(path), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }

  get size(): number {
    return this.file.size;
  }

  /** Journals a settled offset. Not awaited: a lost ack means one more delivery, never a lost message. */
  settled(group: string, partition: number, offset: number): void {
    this.append([ACK, group, partition, offset]);
  }

  /** Journals that a partition now starts at `offset` (its older messages were dropped). */
  startsAt(partition: number, offset: number): void {
    this.starts[partition] = offset;
    this.append([STARTS_AT, "", partition, offset]);
  }

  /**
   * Rewrites the journal as a snapshot of `settled` once it has grown past its limit. Done
   * synchronously, so no ack is appended to the old file after the snapshot was taken (an ack
   * still being written to it can only cause one more delivery).
   */
  compact(settled: () => Map<string, SettledState[]>): void {
    if (this.file.size < COMPACT_BYTES) return;
    this.rewrite(settled());
  }

  /** Replaces the journal with a snapshot of `settled` now (a topic made durable journals what it settled in memory). */
  rewrite(settled: Map<string, SettledState[]>): void {
    AckJournal.replace(this.path, { settled, starts: this.starts });
    const old = this.file;
    this.file = new AppendFile(this.path, journalPolicy(this.policy));
    void old.close();
  }

  sync(): Promise<void> {
    return this.file.sync();
  }

  close(): Promise<void> {
    return this.file.close();
  }

  private append(record: [number, string, number, number]): void {
    this.file.append(encodeRecord(encodeValue(record))).catch((error: Error) => this.report(`ack journal write failed: ${error.message}`));
  }
}

/**
 * Forgets what the journal says about offsets at or past each partition's recovered end (`ends`).
 * Returns whether anything was forgotten.
 *
 * Recovery may end a partition before offsets the journal knows (a damaged segment is truncated,
 * or a crash lost a record but not its ack). New messages take those offsets again, so an ack
 * left in the journal would settle them at the next restart, unhandled. The alternative, never
 * reusing an offset, needs a high-water mark on disk that every append keeps ahead of (or gaps of
 * placeholders after every truncation), and still leaves a journal whose damaged tail hides every
 * later ack. Clipping the journal to what the segments hold, and writing it back before any new
 * publish, keeps one rule: the segments say which offsets exist, the journal only what was settled.
 */
export function clipToEnds(state: AckState, ends: readonly number[]): boolean {
  let clipped = false;
  ends.forEach((end, partition) => {
    if (state.starts[partition]! > end) {
      state.starts[partition] = end;
      clipped = true;
    }
  });
  for (const states of state.settled.values()) {
    states.forEach((settled, partition) => {
      const end = ends[partition]!;
      if (settled.committed > end) {
        settled.committed = end;
        clipped = true;
      }
      for (const offset of settled.settled) {
        if (offset >= end) {
          settled.settled.delete(offset);
          clipped = true;
        }
      }
    });
  }
  return clipped;
}

function snapshot(state: AckState): Buffer {
  const records: Buffer[] = state.starts.map((offset, partition) => encodeRecord(encodeValue([STARTS_AT, "", partition, offset])));
  for (const [group, partitions] of state.settled) {
    partitions.forEach((settled, partition) => {
      records.push(encodeRecord(encodeValue([COMMITTED, group, partition, settled.committed])));
      for (const offset of settled.settled) records.push(encodeRecord(encodeValue([ACK, group, partition, offset])));
    });
  }
  return Buffer.concat(records);
}

/** Acks are synced on the interval timer under `always` too (see `AckJournal`). */
function journalPolicy(policy: FsyncPolicy): FsyncPolicy {
  return policy === "always" ? "interval" : policy;
}
