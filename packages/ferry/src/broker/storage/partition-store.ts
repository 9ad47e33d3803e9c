import { mkdirSync, readdirSync, readFileSync, rmSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { decodeValue, encodeValue } from "../../core/wire/codec.js";
import type { StoredMessage } from "../partition-log.js";
import { AppendFile } from "./append-file.js";
import type { FsyncPolicy } from "./fsync-policy.js";
import { encodeRecord, readRecords, RECORD_HEADER_BYTES } from "./record-format.js";

/** A message read back from disk. */
export interface RecoveredMessage {
  offset: number;
  key: string | undefined;
  expiresAt: number | undefined;
  bytes: Uint8Array;
}

interface Segment {
  /** Offset of its first record. */
  base: number;
  path: string;
}

const SEGMENT_SUFFIX = ".seg";

/**
 * One durable partition on disk: append-only segment files named by the offset of their first
 * record, each record `[length, CRC, msgpack [offset, key, expiresAt, bytes]]`. A segment is
 * deleted once every consumer group has settled everything in it.
 */
export class PartitionStore {
  private readonly segments: Segment[];
  private active: AppendFile;

  private constructor(
    private readonly dir: string,
    private readonly policy: FsyncPolicy,
    private readonly segmentBytes: number,
    segments: Segment[],
    nextOffset: number,
  ) {
    this.segments = segments;
    if (segments.length === 0) segments.push({ base: nextOffset, path: segmentPath(dir, nextOffset) });
    this.active = new AppendFile(segments[segments.length - 1]!.path, policy);
  }

  /**
   * Reads every segment back. Reading a segment stops at its first damaged record (a torn tail
   * after a crash, or a CRC mismatch): the file is truncated there, `report` says so, and nothing
   * past the damage is served.
   */
  static recover(dir: string, policy: FsyncPolicy, segmentBytes: number, maxRecordBytes: number, report: (line: string) => void): { store: PartitionStore; messages: RecoveredMessage[]; nextOffset: number } {
    mkdirSync(dir, { recursive: true });
    const segments = readdirSync(dir)
      .filter((name) => name.endsWith(SEGMENT_SUFFIX))
      .map((name) => ({ base: Number(name.slice(0, -SEGMENT_SUFFIX.length)), path: join(dir, name) }))
      .filter((segment) => Number.isSafeInteger(segment.base))
      .sort((a, b) => a.base - b.base);
    const messages: RecoveredMessage[] = [];
    for (const segment of segments) {
      const file = readFileSync(segment.path);
      const read = readRecords(file, maxRecordBytes);
      let { validBytes, damage } = read;
      let position = 0;
      for (const payload of read.payloads) {
        const message = decodeRecord(payload, maxRecordBytes);
        if (message === undefined) {
          // Its CRC held but its content is not a record: damage all the same.
          validBytes = position;
          damage = `undecodable record at byte ${position}`;
          break;
        }
        messages.push(message);
        position += RECORD_HEADER_BYTES + payload.length;
      }
      if (damage !== undefined) {
        truncateSync(segment.path, validBytes);
        report(`recovered ${segment.path}: ${damage}; truncated ${file.length - validBytes} bytes`);
      }
    }
    const nextOffset = messages.length === 0 ? (segments[0]?.base ?? 0) : messages[messages.length - 1]!.offset + 1;
    return { store: new PartitionStore(dir, policy, segmentBytes, segments, nextOffset), messages, nextOffset };
  }

  /** Writes a message; resolves once it is as durable as the fsync policy makes it. */
  append(message: StoredMessage): Promise<void> {
    if (this.active.size >= this.segmentBytes) this.roll(message.offset);
    const payload = encodeValue([message.offset, message.key ?? null, message.expiresAt ?? null, message.bytes]);
    return this.active.append(encodeRecord(payload));
  }

  /** Deletes segments holding only offsets below `offset` (never the one being written). */
  trimTo(offset: number): void {
    while (this.segments.length > 1 && this.segments[1]!.base <= offset) {
      const [old] = this.segments.splice(0, 1);
      rmSync(old!.path, { force: true });
    }
  }

  sync(): Promise<void> {
    return this.active.sync();
  }

  close(): Promise<void> {
    return this.active.close();
  }

  private roll(base: number): void {
    const previous = this.active;
    void previous.close();
    const segment = { base, path: segmentPath(this.dir, base) };
    this.segments.push(segment);
    this.active = new AppendFile(segment.path, this.policy);
  }
}

function decodeRecord(payload: Uint8Array, maxRecordBytes: number): RecoveredMessage | undefined {
  try {
    const [offset, key, expiresAt, bytes] = decodeValue(payload, { maxBytes: maxRecordBytes, maxDepth: 2 }) as [unknown, unknown, unknown, unknown];
    if (typeof offset !== "number" || !(bytes instanceof Uint8Array)) return undefined;
    return { offset, key: typeof key === "string" ? key : undefined, expiresAt: typeof expiresAt === "number" ? expiresAt : undefined, bytes };
  } catch {
    return undefined;
  }
}

function segmentPath(dir: string, base: number): string {
  return join(dir, `${String(base).padStart(20, "0")}${SEGMENT_SUFFIX}`);
}
