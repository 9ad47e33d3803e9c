/**
 * Who is told about each batch the durable storage puts on disk: the broker's metrics (fsync
 * batch size and latency). Process-wide, like `diskTurns`, since every segment file of every
 * broker in the process shares the one disk; with nobody watching, an append file skips the
 * clock reads with one branch.
 */
export type SyncWatcher = (records: number, seconds: number) => void;

const watchers = new Set<SyncWatcher>();

/** Calls `watcher` after each synced batch, with the records it held and the seconds its write and sync took. Returns the way to stop. */
export function watchSyncs(watcher: SyncWatcher): () => void {
  watchers.add(watcher);
  return () => watchers.delete(watcher);
}

/** Whether anyone is watching: the storage reads the clock only then. */
export function syncsWatched(): boolean {
  return watchers.size > 0;
}

export function reportSync(records: number, seconds: number): void {
  for (const watcher of watchers) watcher(records, seconds);
}
