import { crc32 } from "node:zlib";

/** Bytes before each record's payload: u32 length, u32 CRC-32 of the payload. */
export const RECORD_HEADER_BYTES = 8;

/** Frames a payload as a record: length, CRC, payload. */
export function encodeRecord(payload: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.length);
  record.writeUInt32BE(payload.length, 0);
  record.writeUInt32BE(crc32(payload), 4);
  record.set(payload, RECORD_HEADER_BYTES);
  return record;
}

export interface ReadResult {
  /** Payloads of the records that passed their length and CRC checks, in order. */
  payloads: Buffer[];
  /** Bytes from the start of the file that hold those records. */
  validBytes: number;
  /** Why reading stopped before the end, if it did: a torn tail or a CRC mismatch. */
  damage: string | undefined;
}

/** Reads records until the end or the first damaged one; nothing past damage is trusted. */
export function readRecords(file: Buffer, maxRecordBytes: number): ReadResult {
  const payloads: Buffer[] = [];
  let pos = 0;
  while (pos < file.length) {
    if (file.length - pos < RECORD_HEADER_BYTES) return { payloads, validBytes: pos, damage: `torn header at byte ${pos}` };
    const length = file.readUInt32BE(pos);
    if (length > maxRecordBytes) return { payloads, validBytes: pos, damage: `impossible length ${length} at byte ${pos}` };
    if (file.length - pos - RECORD_HEADER_BYTES < length) return { payloads, validBytes: pos, damage: `torn record at byte ${pos}` };
    const payload = file.subarray(pos + RECORD_HEADER_BYTES, pos + RECORD_HEADER_BYTES + length);
    if (crc32(payload) !== file.readUInt32BE(pos + 4)) return { payloads, validBytes: pos, damage: `CRC mismatch at byte ${pos}` };
    payloads.push(payload);
    pos += RECORD_HEADER_BYTES + length;
  }
  return { payloads, validBytes: pos, damage: undefined };
}
