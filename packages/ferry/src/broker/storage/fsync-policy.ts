/** When appended bytes are forced to disk. */
export type FsyncPolicy = "always" | "interval" | "never";

/**
 * `always`: a durable publish is confirmed only once its batch is synced, so a confirmed message
 * survives a machine crash. It costs a synced write per batch, the slowest of the three (see the
 * benchmark); `interval` and `never` trade a window of loss for throughput.
 */
export const defaultFsync: FsyncPolicy = "always";
