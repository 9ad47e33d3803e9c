import { mkdir, open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { checkMethod, checkOptions } from "../call-arguments.js";
import type { MethodDefinition } from "../definition.js";
import { ClosedError, InvalidArgumentError, QueueFullError } from "../errors.js";
import { eventMessage } from "../event-message.js";
import { countOption } from "../store-options.js";
import type { Transport } from "../transport.js";
import { decodeValue, encodeValue } from "../wire/codec.js";
import type { OutboxReceipt, OutboxRelay, OutboxRelayOptions, OutboxRow, OutboxSendOptions, RelaySource } from "./outbox.js";
import { publishInOrder } from "./publish-in-order.js";
import { RelayLoop, relaySettings, type RelayRound } from "./relay-loop.js";

export interface FileOutboxOptions {
  /** Largest the log may grow, bytes; a `send` past it fails with `QUEUE_FULL` until the relay catches up. Default 256 MiB (`defaultFileOutboxMaxBytes`). */
  maxBytes?: number;
}

/** Largest a file outbox's log grows before `send` refuses, bytes: what a broker outage of any length can make it hold on disk. */
export const defaultFileOutboxMaxBytes = 256 * 1024 * 1024;

/** A row as written in the log, with the call id that names it in the sent file. */
interface LoggedRow extends OutboxRow {
  id: string;
}

/** A `send` waiting for the next write and fsync of the log. */
interface Append {
  bytes: Buffer;
  row: LoggedRow;
  done: (error?: Error) => void;
}

/**
 * The brief's "write a log before the queue", for an application without a database: `send`
 * appends the message to a log file and fsyncs it before it resolves, and a relay publishes the
 * log in the background. At open, every row of the log not yet in the sent file is relayed again,
 * so a process killed after `send` resolved loses nothing.
 *
 * Two files in `directory`: `outbox.log` (each row as a 4-byte big-endian length and a msgpack
 * record; concurrent sends share one write and one fsync) and `outbox.sent` (the call ids of
 * rows the broker confirmed, one per line, not fsynced: after a crash a row may be published
 * again, and its idempotency key makes the server run it once). Both are emptied whenever every
 * row is sent. One process owns a directory at a time.
 */
export class FileOutbox implements RelaySource {
  /** Rows written and not yet confirmed, in log order. */
  private readonly unsent: LoggedRow[] = [];
  private queue: Append[] = [];
  private queuedBytes = 0;
  /** The write (or the emptying) of the files under way: one at a time. */
  private flushing: Promise<void> | undefined;
  private relay: RelayLoop | undefined;
  private closed = false;

  private constructor(
    readonly directory: string,
    private readonly log: FileHandle,
    private readonly sent: FileHandle,
    private logBytes: number,
    private readonly maxBytes: number,
  ) {}

  /** Opens (creating) the outbox in `directory` and loads the rows not yet sent. */
  static async open(directory: string, options: FileOutboxOptions = {}): Promise<FileOutbox> {
    if (typeof directory !== "string" || directory === "") throw new InvalidArgumentError("FileOutbox.open: directory must be a non-empty path");
    const maxBytes = countOption("FileOutbox", "maxBytes", options.maxBytes, defaultFileOutboxMaxBytes);
    await mkdir(directory, { recursive: true });
    const log = await open(join(directory, "outbox.log"), "a+");
    const sent = await open(join(directory, "outbox.sent"), "a+");
    const { rows, validBytes } = readLog(await log.readFile());
    const sentIds = new Set((await sent.readFile("utf8")).split("\n"));
    // A torn tail is a row whose send never resolved: drop it, so the next append starts clean.
    await log.truncate(validBytes);
    const outbox = new FileOutbox(directory, log, sent, validBytes, maxBytes);
    for (const row of rows) if (!sentIds.has(row.id)) outbox.unsent.push(row);
    if (outbox.unsent.length === 0 && validBytes > 0) await outbox.empty();
    return outbox;
  }

  /** Rows written and not yet confirmed by the broker. */
  get pending(): number {
    return this.unsent.length;
  }

  /** Writes `method(payload)` to the log; resolves once it is on disk, and the relay then publishes it. */
  async send<Req>(method: MethodDefinition<Req, unknown>, payload: Req, options: OutboxSendOptions = {}): Promise<OutboxReceipt> {
    if (this.closed) throw new ClosedError("the file outbox is closed");
    checkMethod(method, "FileOutbox.send");
    checkOptions(options, "FileOutbox.send");
    const message = eventMessage(method, payload, options, true);
    const row: LoggedRow = { id: message.callId, topic: message.topic, bytes: message.bytes, key: message.key, messageId: message.messageId, durable: message.durable };
    const record = encodeValue(row);
    const bytes = Buffer.alloc(4 + record.length);
    bytes.writeUInt32BE(record.length, 0);
    bytes.set(record, 4);
    if (this.logBytes + this.queuedBytes + bytes.length > this.maxBytes) {
      throw new QueueFullError(`the file outbox's log holds ${this.logBytes + this.queuedBytes} bytes, at its maxBytes of ${this.maxBytes}: the relay has not caught up`);
    }
    this.queuedBytes += bytes.length;
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes, row, done: (error) => (error === undefined ? resolve() : reject(error)) });
      this.flushing ??= this.flush();
    });
    this.relay?.wake();
    return { callId: message.callId, idempotencyKey: message.messageId };
  }

  /** Starts the relay that publishes the log's rows to `transport` (one relay per outbox). */
  startRelay(transport: Transport, options: OutboxRelayOptions = {}): OutboxRelay {
    if (this.relay !== undefined) throw new InvalidArgumentError("FileOutbox: its relay is already running");
    const settings = relaySettings(options);
    const relay = new RelayLoop(() => this.round(transport, settings.batch), settings, async () => {
      if (this.relay === relay) this.relay = undefined;
    });
    this.relay = relay;
    return relay;
  }

  /** Stops the relay, waits for writes under way, and closes the files. Unsent rows stay for the next open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.relay?.stop();
    await this.flushing;
    await this.log.close();
    await this.sent.close();
  }

  /** Writes every queued append with one write and one fsync, then resolves their sends. */
  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const bytes = Buffer.concat(batch.map((append) => append.bytes));
      this.queuedBytes -= bytes.length;
      try {
        await this.log.write(bytes);
        await this.log.datasync();
        this.logBytes += bytes.length;
      } catch (error) {
        for (const append of batch) append.done(error as Error);
        continue;
      }
      for (const append of batch) {
        this.unsent.push(append.row);
        append.done();
      }
    }
    this.flushing = undefined;
  }

  /** Publishes the first `batch` unsent rows, records the confirmed ones, and empties the files once all are sent. */
  private async round(transport: Transport, batch: number): Promise<RelayRound> {
    const rows = this.unsent.slice(0, batch);
    if (rows.length === 0) return { sent: 0, error: undefined, more: false, blocked: false };
    const { sent, error } = await publishInOrder(transport, rows);
    if (sent.length > 0) {
      await this.sent.write(sent.map((row) => `${row.id}\n`).join(""));
      const done = new Set(sent);
      const remaining = this.unsent.filter((row) => !done.has(row));
      this.unsent.splice(0, this.unsent.length, ...remaining);
    }
    if (this.unsent.length === 0 && this.flushing === undefined) {
      // Held as the write under way, so that no append lands in the log while it is truncated.
      this.flushing = this.empty().then(() => this.flush());
      await this.flushing;
    }
    return { sent: sent.length, error, more: error === undefined && this.unsent.length > 0, blocked: false };
  }

  /** Every row is sent: empty the log first (a crash before the sent file is emptied leaves ids that match nothing). */
  private async empty(): Promise<void> {
    await this.log.truncate(0);
    await this.sent.truncate(0);
    this.logBytes = 0;
  }
}

/** The complete rows of a log, and where the last complete one ends. */
function readLog(bytes: Buffer): { rows: LoggedRow[]; validBytes: number } {
  const rows: LoggedRow[] = [];
  let offset = 0;
  while (offset + 4 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    if (offset + 4 + length > bytes.length) break;
    let row: LoggedRow;
    try {
      row = decodeValue(bytes.subarray(offset + 4, offset + 4 + length)) as LoggedRow;
    } catch {
      break;
    }
    rows.push(row);
    offset += 4 + length;
  }
  return { rows, validBytes: offset };
}
