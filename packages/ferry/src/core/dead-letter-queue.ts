import { systemClock, type Clock } from "./clock.js";
import { checkFilter, type CheckedFilter, type DeadLetterFilter } from "./dead-letter-filter.js";
import { readDeadLetter, unreadableEntry, type DeadLetterRecord } from "./dead-letters.js";
import { describeValue } from "./describe-value.js";
import { asFerryError, InvalidArgumentError, UnimplementedError } from "./errors.js";
import { replayMessage } from "./replay-message.js";
import { deadLetterTopic, serviceTopic } from "./topics.js";
import type { BrowsePage, Transport } from "./transport.js";

/** Entries `list` returns when its filter sets no `limit`: each holds its request in memory. */
export const defaultDeadLetterListLimit = 1_000;

/** Entries a replay republishes per second when `rate` is not given: a burst of old work should not bury live traffic. */
export const defaultReplayRatePerSecond = 100;

/** Dead letters read from the broker per round trip. */
const pageSize = 256;

/** A dead letter as the tool lists it: the record, and its id on the dead-letter topic (what `show` takes). */
export interface DeadLetterEntry extends DeadLetterRecord {
  id: string;
}

export interface ReplayOptions {
  /** Entries republished per second, at most. Default 100 (`defaultReplayRatePerSecond`). */
  rate?: number;
  /** Stops the replay after the entry in hand: what was not replayed stays a dead letter. */
  signal?: AbortSignal;
  /** Told of each entry once it is replayed (republished, confirmed and removed). */
  onReplayed?: (entry: DeadLetterEntry) => void;
}

/** What a replay did, entry by entry. */
export interface ReplayReport {
  /** Republished to their origin, confirmed by the broker, then removed from the dead-letter topic. */
  replayed: number;
  /** Left where they are because they cannot be replayed: unreadable (malformed) messages. */
  skipped: number;
  /** Left where they are because their republish or removal failed (`failures` says why). */
  failed: number;
  failures: { id: string; error: string }[];
  /** Whether `signal` stopped it before every match was replayed. */
  cancelled: boolean;
}

/**
 * One service's dead letters (`svc.<Service>.dlq`), as a tool: list, show, replay and purge them,
 * on a transport that can browse and remove (`Transport.browse` and `remove`: the embedded broker,
 * in-process and TCP, NATS for durable topics, and RabbitMQ). Made by `ferry.deadLetters("Service")`.
 *
 * Replay republishes each entry to its origin topic, waits for the broker's confirm, and only
 * then removes it from the dead-letter topic. A replay stopped anywhere (a crash, kill -9, a
 * cancel) loses nothing: an entry either is still a dead letter or was confirmed at its origin.
 * The one window is between the confirm and the removal: an entry there is replayed again by
 * the next replay, and its idempotency key makes the server replay the stored outcome instead of
 * running the handler twice.
 */
export class DeadLetterQueue {
  readonly topic: string;
  private readonly clock: Clock;

  constructor(
    private readonly transport: Transport,
    readonly service: string,
    options: { clock?: Clock } = {},
  ) {
    if (typeof service !== "string" || service === "") throw new InvalidArgumentError(`deadLetters takes a service name, got ${describeValue(service)}`);
    this.topic = deadLetterTopic(service);
    this.clock = options.clock ?? systemClock;
  }

  /** Matching entries, oldest first, up to the filter's `limit` (default 1,000). */
  async list(filter?: DeadLetterFilter): Promise<DeadLetterEntry[]> {
    const checked = checkFilter(filter, defaultDeadLetterListLimit);
    await this.checkService();
    const entries: DeadLetterEntry[] = [];
    for await (const entry of this.matching(checked)) entries.push(entry);
    return entries;
  }

  /** The entry with this id (from `list`), or undefined when there is none (replayed, purged). */
  async show(id: string): Promise<DeadLetterEntry | undefined> {
    if (typeof id !== "string" || id === "") throw new InvalidArgumentError(`show takes an entry id from list, got ${describeValue(id)}`);
    await this.checkService();
    for await (const entry of this.entries()) if (entry.id === id) return entry;
    return undefined;
  }

  /**
   * Republishes matching entries to their origin with their call id and idempotency key (see
   * the class), at most `rate` per second, each removed only after its republish is confirmed.
   * Entries dead-lettered again while it runs are left for the next replay.
   */
  async replay(filter?: DeadLetterFilter, options: ReplayOptions = {}): Promise<ReplayReport> {
    const checked = checkFilter(filter, Number.MAX_SAFE_INTEGER);
    const rate = options.rate ?? defaultReplayRatePerSecond;
    if (typeof rate !== "number" || !Number.isFinite(rate) || rate <= 0) throw new InvalidArgumentError(`replay rate must be a positive number of entries per second, got ${describeValue(rate)}`);
    const remove = await this.checkService();
    // What matches now, by id: an entry that fails again comes back with a new id, and is not chased.
    const chosen = new Set<string>();
    for await (const entry of this.matching(checked)) chosen.add(entry.id);
    const report: ReplayReport = { replayed: 0, skipped: 0, failed: 0, failures: [], cancelled: false };
    const startedAt = this.clock.now();
    let sent = 0;
    for await (const entry of this.entries()) {
      if (chosen.size === 0) break;
      if (!chosen.delete(entry.id)) continue;
      if (options.signal?.aborted === true) {
        report.cancelled = true;
        break;
      }
      if (entry.unreadable !== undefined || entry.kind === undefined) {
        report.skipped++;
        continue;
      }
      await this.pace(startedAt + (sent++ * 1000) / rate);
      try {
        await this.transport.publish(entry.origin.topic, replayMessage(entry), {
          ...(entry.key === undefined ? {} : { key: entry.key }),
          // Stable per entry: a transport that deduplicates (JetStream) drops a second replay of it.
          messageId: `${entry.callId ?? entry.origin.topic}:replay:${entry.id}`,
        });
        await remove(this.topic, [entry.id]);
      } catch (error) {
        report.failed++;
        report.failures.push({ id: entry.id, error: asFerryError(error, `replaying dead letter ${entry.id}`).message });
        continue;
      }
      report.replayed++;
      options.onReplayed?.(entry);
    }
    return report;
  }

  /** Deletes matching entries for good; resolves with how many went. */
  async purge(filter?: DeadLetterFilter): Promise<number> {
    const checked = checkFilter(filter, Number.MAX_SAFE_INTEGER);
    const remove = await this.checkService();
    let batch: string[] = [];
    let purged = 0;
    for await (const entry of this.matching(checked)) {
      batch.push(entry.id);
      if (batch.length < pageSize) continue;
      purged += await remove(this.topic, batch);
      batch = [];
    }
    if (batch.length > 0) purged += await remove(this.topic, batch);
    return purged;
  }

  /** Entries that pass the filter, up to its limit. */
  private async *matching(filter: CheckedFilter): AsyncGenerator<DeadLetterEntry> {
    let count = 0;
    for await (const entry of this.entries()) {
      if (!filter.matches(entry)) continue;
      yield entry;
      if (++count >= filter.limit) return;
    }
  }

  /** Every entry of the dead-letter topic, oldest first, page by page. */
  private async *entries(): AsyncGenerator<DeadLetterEntry> {
    const browse = this.transport.browse;
    if (browse === undefined) throw this.cannot();
    let after: string | undefined;
    do {
      let page: BrowsePage;
      try {
        page = await browse.call(this.transport, this.topic, { limit: pageSize, ...(after === undefined ? {} : { after }) });
      } catch (error) {
        throw asFerryError(error, `reading ${this.topic}`);
      }
      for (const message of page.messages) yield { ...readEntry(message.bytes), id: message.id };
      after = page.next;
    } while (after !== undefined);
  }

  /**
   * That the transport can browse and remove, and that the broker knows the service: it holds its
   * dead letters, or its topic exists. A misspelt name is an error naming the services there are,
   * not an empty list.
   */
  private async checkService(): Promise<(topic: string, ids: readonly string[]) => Promise<number>> {
    const { browse, remove } = this.transport;
    if (browse === undefined || remove === undefined) throw this.cannot();
    const first = await browse.call(this.transport, this.topic, { limit: 1 }).catch((error: unknown) => {
      throw asFerryError(error, `reading ${this.topic}`);
    });
    if (first.messages.length === 0) {
      const names = new Set((await this.transport.stats()).topics.map((topic) => topic.name));
      if (!names.has(serviceTopic(this.service)) && !names.has(this.topic)) {
        const services = [...names].filter((name) => name.startsWith("svc.") && !name.endsWith(".dlq")).map((name) => name.slice(4));
        throw new InvalidArgumentError(`the broker has no service ${this.service}: ${services.length === 0 ? "it has none" : `it has ${services.sort().join(", ")}`}`);
      }
    }
    return (topic, ids) => remove.call(this.transport, topic, ids);
  }

  private cannot(): UnimplementedError {
    return new UnimplementedError(`this transport cannot read a topic without consuming it (Transport.browse and remove): ${this.topic} can only be consumed`);
  }

  private pace(dueAt: number): Promise<void> {
    const wait = dueAt - this.clock.now();
    if (wait <= 0) return Promise.resolve();
    return new Promise((resolve) => this.clock.setTimeout(resolve, wait));
  }
}

/** A message of a dead-letter topic that is not a dead letter at all is listed as unreadable, not an end to the listing. */
function readEntry(bytes: Uint8Array): DeadLetterRecord {
  try {
    return readDeadLetter(bytes);
  } catch (error) {
    return unreadableEntry(bytes, `not a dead letter: ${(error as Error).message}`);
  }
}
