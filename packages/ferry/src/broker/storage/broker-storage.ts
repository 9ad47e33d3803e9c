import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { ResolvedTopicOptions } from "../topic.js";
import type { FsyncPolicy } from "./append-file.js";
import { TopicStore, type RecoveredTopic } from "./topic-store.js";

export interface BrokerStorageOptions {
  /** Directory of the broker's durable topics. */
  dataDir: string;
  /** Default `always`: a publish is confirmed after its batch is fsynced. */
  fsync?: FsyncPolicy;
  /** How often `interval` syncs, and `always` syncs the ack journals, ms. Default 100. */
  fsyncIntervalMs?: number;
  /** A partition's segment file rolls over past this size, bytes. Default 64 MiB. */
  segmentBytes?: number;
  /** Where recovery reports what it truncated. */
  report?: (line: string) => void;
}

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
    this.policy = options.fsync ?? "always";
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
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
      this.timer = setInterval(() => void this.sync(), options.fsyncIntervalMs ?? 100);
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
