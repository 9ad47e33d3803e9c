import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { decodeValue, encodeValue } from "../../core/wire/codec.js";
import type { MessagePosition } from "../message-position.js";
import { AppendFile } from "./append-file.js";
import type { FsyncPolicy } from "./fsync-policy.js";
import { encodeRecord, readRecords } from "./record-format.js";
import type { RecoveredMessage } from "./partition-store.js";

/** Largest record read back: a partition and an offset. */
const MAX_RECORD_BYTES = 64;

/**
 * A durable topic's `removed.log`: the positions of messages deleted by `Transport.remove`
 * (the dead-letter tool), as CRC'd records. Segments are append-only, so a deleted message stays in
 * its segment until retention drops the segment; recovery reads this journal and leaves those
 * messages out. A removal is confirmed as a publish is, under the topic's fsync policy.
 */
export class RemovedJournal {
  private readonly file: AppendFile;

  constructor(path: string, policy: FsyncPolicy) {
    this.file = new AppendFile(path, policy);
  }

  append(positions: readonly MessagePosition[]): Promise<void> {
    return Promise.all(positions.map(({ partition, offset }) => this.file.append(encodeRecord(encodeValue([partition, offset]))))).then(() => undefined);
  }

  /**
   * The positions removed from what the segments recovered. The journal is rewritten with only
   * those (the others were trimmed since), so it never outgrows the topic. A damaged record ends
   * the journal: the messages it named are served again.
   */
  static recover(path: string, partitions: readonly { messages: readonly RecoveredMessage[] }[], report: (line: string) => void): MessagePosition[] {
    if (!existsSync(path)) return [];
    const file = readFileSync(path);
    const { payloads, validBytes, damage } = readRecords(file, MAX_RECORD_BYTES);
    if (damage !== undefined) report(`recovered ${path}: ${damage}; ignored ${file.length - validBytes} bytes (those removed messages are served again)`);
    const held = partitions.map(({ messages }) => new Set(messages.map((message) => message.offset)));
    const removed: MessagePosition[] = [];
    for (const payload of payloads) {
      const [partition, offset] = decodeValue(payload) as [number, number];
      if (held[partition]?.has(offset) === true) removed.push({ partition, offset });
    }
    writeFileSync(`${path}.tmp`, Buffer.concat(removed.map(({ partition, offset }) => encodeRecord(encodeValue([partition, offset])))));
    renameSync(`${path}.tmp`, path);
    return removed;
  }

  sync(): Promise<void> {
    return this.file.sync();
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
