import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { ResolvedTopicOptions } from "../topic.js";
import { defaultFsync, type FsyncPolicy } from "./fsync-policy.js";
import { TopicStore, type RecoveredTopic } from "./topic-store.js";

export interface BrokerStorageOptions {
  /** Directory of the broker's durable topics. */
  dataDir: string;
  /** Default `always` (`defaultFsync`): a publish is confirmed after its batch is fsynced. */
  fsync?: FsyncPolicy;
  /** How often `interval` syncs, and `always` syncs the ack journals, ms. Default 100 (`defaultFsyncIntervalMs`). */
  fsyncIntervalMs?: number;
  /** A partition's segment file rolls over past this size, bytes. Default 64 MiB (`defaultSegmentBytes`). */
  segmentBytes?: number;
  /** Where recovery reports what it truncated. */
  report?: (line: string) => void;
}

/**
 * How often `interval` syncs the segments, and every policy but `never` the ack journals, ms: a
 * machine crash loses up to this long's appends under `interval`, and redelivers up to this long's
 * acknowledged messages under `always`.
 */
export const defaultFsyncIntervalMs = 100;

/**
 * Size past which a partition's segment file rolls over, bytes (64 MiB). Retention deletes whole
 * segments once every group has acknowledged them, so up to this much acknowledged data stays on
 * disk per partition.
 */
export const defaultSegmentBytes = 64 * 1024 * 1024;

/** Room in a record for the offset, expiry and key (at most 1,024 characters) written beside the message. */
const RECORD_OVERHEAD_BYTES = 4096;

/** The durable topics of a broker: created, recovered, synced and closed together. */
export class BrokerStorage {
  private readonly stores = new Map<string, TopicStore>();
  private readonly policy: FsyncPolicy;
  private readonly segmentBytes: number;
  private readonly report: (line: string) => void;
  private readonly timer: NodeJS.Timeout | undefined;
  readonly recovered = new Map<string, RecoveredTopic>();

  private readonly maxRecordBytes: number;

  /** `maxMessageBytes` is the broker's message limit; a record adds its offset, key and framing. */
  constructor(
    private readonly options: BrokerStorageOptions,
    maxMessageBytes: number,
  ) {
    this.maxRecordBytes = maxMessageBytes + RECORD_OVERHEAD_BYTES;
    this.policy = options.fsync ?? defaultFsync;
    this.segmentBytes = options.segmentBytes ?? defaultSegmentBytes;
    this.report = options.report ?? (() => undefined);
    const topicsDir = join(options.dataDir, "topics");
    mkdirSync(topicsDir, { recursive: true });
    for (const name of readdirSync(topicsDir)) {
      if (!existsSync(join(topicsDir, name, "meta.json"))) continue;
      const { store, recovered } = TopicStore.recover(join(topicsDir, name), this.policy, this.segmentBytes, this.maxRecordBytes, this.report);
      this.stores.set(name, store);
      this.recovered.set(name, recovered);
    }
    // `always` syncs records per batch, and ack journals on this timer.
    if (this.policy !== "never") {
      this.timer = setInterval(() => void this.sync(), options.fsyncIntervalMs ?? defaultFsyncIntervalMs);
      this.timer.unref();
    }
  }

  /** The store of a durable topic, made on first use. */
  topic(name: string, options: ResolvedTopicOptions): TopicStore {
    let store = this.stores.get(name);
    if (store === undefined) {
      store = TopicStore.create(join(this.options.dataDir, "topics", name), this.policy, this.segmentBytes, this.maxRecordBytes, options, this.report);
      this.stores.set(name, store);
    }
    return store;
  }

  async sync(): Promise<void> {
    await Promise.all([...this.stores.values()].map((store) => store.sync()));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.stores.values()].map((store) => store.close()));
  }
}
