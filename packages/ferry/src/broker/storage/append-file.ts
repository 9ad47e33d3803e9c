import { closeSync, constants, fdatasync, fstatSync, openSync, write } from "node:fs";
import { promisify } from "node:util";
import { UnavailableError } from "../../core/errors.js";
import { diskTurns } from "./disk-turns.js";
import type { FsyncPolicy } from "./fsync-policy.js";
import { reportSync, syncsWatched } from "./sync-watch.js";

const writeAsync = promisify(write);
const datasyncAsync = promisify(fdatasync);


/**
 * An append-only file with group commit: records appended while a write is under way go out
 * together in the next one, with one `fdatasync` for the whole batch under `always`. Each append
 * resolves once its batch is written (and, under `always`, synced): that is the confirm.
 * Opening is synchronous so a segment can roll over between two appends without reordering them.
 */
export class AppendFile {
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private settlers: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private writing: Promise<void> | undefined;
  private dirty = false;
  /** Records written since the last sync (the `interval` policy's batch, for the metrics). */
  private unsyncedRecords = 0;
  private closed = false;
  private failure: Error | undefined;
  size: number;

  constructor(
    readonly path: string,
    private readonly policy: FsyncPolicy,
  ) {
    // Under `always` the file is opened O_DSYNC: a write returns once its data is on disk, so a
    // batch costs one trip to libuv's thread pool instead of a write and then an fdatasync.
    const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;
    this.fd = openSync(path, policy === "always" ? flags | constants.O_DSYNC : flags, 0o666);
    this.size = fstatSync(this.fd).size;
  }

  private readonly fd: number;

  append(record: Buffer): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.queued.push(record);
    this.queuedBytes += record.length;
    this.size += record.length;
    const done = new Promise<void>((resolve, reject) => this.settlers.push({ resolve, reject }));
    this.writing ??= this.writeBatches();
    return done;
  }

  /** Forces written bytes to disk (the `interval` policy calls this on its timer). */
  async sync(): Promise<void> {
    if (!this.dirty || this.closed) return;
    this.dirty = false;
    const records = this.unsyncedRecords;
    this.unsyncedRecords = 0;
    const started = syncsWatched() ? performance.now() : 0;
    await datasyncAsync(this.fd);
    if (started !== 0) reportSync(records, (performance.now() - started) / 1000);
  }

  private async writeBatches(): Promise<void> {
    while (this.queued.length > 0) {
      // A synced batch waits for the disk first, and takes whatever has queued meanwhile.
      const synced = this.policy === "always";
      if (synced) await diskTurns.acquire();
      try {
        await this.writeBatch();
      } finally {
        if (synced) diskTurns.release();
      }
    }
    this.writing = undefined;
  }

  /** Writes what is queued as one batch, then settles its appends. */
  private async writeBatch(): Promise<void> {
    const batch = this.queued.length === 1 ? this.queued[0]! : Buffer.concat(this.queued, this.queuedBytes);
    const settlers = this.settlers;
    this.queued = [];
    this.queuedBytes = 0;
    this.settlers = [];
    if (this.failure !== undefined) {
      for (const settler of settlers) settler.reject(this.failure);
      return;
    }
    try {
      // Under `always` the write is the sync (O_DSYNC): its time is the batch's fsync latency.
      const started = this.policy === "always" && syncsWatched() ? performance.now() : 0;
      let written = 0;
      while (written < batch.length) written += (await writeAsync(this.fd, batch, written, batch.length - written)).bytesWritten;
      if (started !== 0) reportSync(settlers.length, (performance.now() - started) / 1000);
      if (this.policy !== "always") {
        this.dirty = true;
        this.unsyncedRecords += settlers.length;
      }
      for (const settler of settlers) settler.resolve();
    } catch (error) {
      // Part of the batch may be on disk: anything appended after it would sit behind a torn
      // record that recovery truncates. The file takes no more appends.
      this.failure = new UnavailableError(`writing ${this.path} failed: ${(error as Error).message}`, { cause: error });
      for (const settler of settlers) settler.reject(this.failure);
    }
  }

  /** Waits for queued appends, syncs (unless `never`), and closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.writing !== undefined) await this.writing;
    if (this.policy !== "never") await this.sync();
    this.closed = true;
    closeSync(this.fd);
  }
}
