import type { Clock } from "../../core/clock.js";
import { InvalidArgumentError, UnavailableError, UnimplementedError } from "../../core/errors.js";
import type { BrowseOptions, BrowsedMessage, BrowsePage } from "../../core/transport.js";
import { amqpCode, type AmqpChannel, type AmqpConnection, type AmqpMessage } from "./amqp-api.js";
import { deadLetterEntries, type DeadLetterEntry, type OriginOf } from "./dead-letter-entries.js";
import type { QueueLayout } from "./queue-layout.js";

export interface RabbitDeadLetterBrowserSettings {
  layout: QueueLayout;
  /** The connection now (undefined while reconnecting). */
  connection: () => AmqpConnection | undefined;
  /** The topic and partition a queue name stands for, for dead letters RabbitMQ made itself. */
  originOf: OriginOf;
  /** Writes `entries` to `queue` as dead letters of their own, keeping their ids, resolving once RabbitMQ confirmed every one. */
  keep: (queue: string, entries: readonly DeadLetterEntry[]) => Promise<void>;
  clock: Clock;
}

/** Ids of dead letters a member wrote (`x-ferry-dead-letter-id`, a UUID) and of those RabbitMQ made (a digest, `/<index>` for a call of a bundle). */
const idForm = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|r[0-9a-f]{32}(?:\/\d{1,3})?)$/;

/**
 * Where a page that ends at `entry` leaves off. A call of a bundle keeps its id when `remove`
 * splits the bundle and moves it to the tail, so a cursor taken at the bundle's place must not
 * match it there (the entries in between would be skipped): a moved call's cursor is marked.
 */
function cursor(entry: DeadLetterEntry): string {
  return entry.moved ? `${entry.id}+moved` : entry.id;
}

/**
 * `Transport.browse` and `remove` on RabbitMQ, for dead-letter queues (`<topic>.dlq`). AMQP has no
 * way to read a queue without taking its messages, so each operation opens a channel of its own,
 * takes messages from the head one by one (`basic.get`, unacknowledged), acks those `remove`
 * names, and closes the channel: RabbitMQ puts every other message back where it was, in order.
 * A dead-letter queue is a classic queue, so the takes spend no delivery count (they set the
 * redelivered flag, which nothing reads there); while a browse holds a page, a consumer of the
 * queue does not see it.
 *
 * Ids: a dead letter a member wrote carries a UUID in the header `x-ferry-dead-letter-id`; one
 * RabbitMQ dead-lettered itself (a quorum queue's delivery limit) carries no id of Ferry's, and is
 * named by a digest (see `deadLetterEntries`); a durable bundle RabbitMQ dead-lettered is one entry
 * per call, `<digest>/<index>`. A page ends at the entry `next` names; the next page starts after
 * that entry, or, if it was removed (or moved to the tail, see `cursor`) since, at the head again
 * (an entry may then be listed twice, never missed).
 */
export class RabbitDeadLetterBrowser {
  constructor(private readonly settings: RabbitDeadLetterBrowserSettings) {}

  async browse(topic: string, options: BrowseOptions): Promise<BrowsePage> {
    if (!Number.isInteger(options.limit) || options.limit < 1) throw new InvalidArgumentError(`browse limit must be a positive integer, got ${options.limit}`);
    const queue = this.queueOf(topic);
    return this.withChannel<BrowsePage>(queue, { messages: [], next: undefined }, async (channel) => {
      const taken: BrowsedMessage[] = [];
      let skipping = options.after !== undefined;
      const seen: DeadLetterEntry[] = [];
      for (;;) {
        const message = await channel.get(queue, { noAck: false });
        if (message === false) break;
        const entries = this.entries(message);
        for (const [index, entry] of entries.entries()) {
          const browsed: BrowsedMessage = { id: entry.id, bytes: entry.bytes, key: entry.key };
          seen.push(entry);
          if (skipping) {
            if (cursor(entry) === options.after) skipping = false;
            continue;
          }
          taken.push(browsed);
          if (taken.length < options.limit) continue;
          // One more (a call left in this bundle, else the next message) tells whether this page reached the end.
          const more = index + 1 < entries.length || (await channel.get(queue, { noAck: false })) !== false;
          return { messages: taken, next: more ? cursor(entry) : undefined };
        }
      }
      // `after` was removed (or moved to the tail) since its page: start again at the head.
      if (skipping) {
        const page = seen.slice(0, options.limit);
        return { messages: page.map(({ id, bytes, key }) => ({ id, bytes, key })), next: seen.length > options.limit ? cursor(page[page.length - 1]!) : undefined };
      }
      return { messages: taken, next: undefined };
    });
  }

  /**
   * Takes messages from the head until every id is found or the queue is empty, acks those whose
   * entries are all named, and closes the channel (the others go back). A bundle RabbitMQ
   * dead-lettered of which only some calls are named is split first: its other calls are written
   * to the queue as dead letters of their own, with the same ids, and only once RabbitMQ confirmed
   * them is the bundle acked, so no call is lost (a failure in between leaves the bundle, and those
   * calls may then be listed twice). Resolves once RabbitMQ answered the close, which it sends
   * after the acks before it.
   */
  async remove(topic: string, ids: readonly string[]): Promise<number> {
    const queue = this.queueOf(topic);
    for (const id of ids) {
      if (typeof id !== "string" || !idForm.test(id)) throw new InvalidArgumentError(`message id ${JSON.stringify(id)} is not a RabbitMQ dead-letter id, as browse gives it`);
    }
    const wanted = new Set(ids);
    if (wanted.size === 0) return 0;
    return this.withChannel(queue, 0, async (channel) => {
      let removed = 0;
      while (wanted.size > 0) {
        const message = await channel.get(queue, { noAck: false });
        if (message === false) break;
        const entries = this.entries(message);
        const named = entries.filter((entry) => wanted.delete(entry.id));
        if (named.length === 0) continue;
        if (named.length < entries.length) await this.settings.keep(queue, entries.filter((entry) => !named.includes(entry)));
        channel.ack(message);
        removed += named.length;
      }
      return removed;
    });
  }

  private queueOf(topic: string): string {
    const origin = this.settings.layout.deadLettersOf(topic);
    if (origin === undefined) throw new UnimplementedError(`rabbitmq: browse and remove read dead-letter topics (<topic>.dlq) only, not ${topic}`);
    this.settings.layout.check(origin);
    return this.settings.layout.deadLetterQueue(origin);
  }

  /** Runs `operation` on a channel of its own, closed after it (what was taken and not acked goes back). A missing queue holds nothing. */
  private async withChannel<T>(queue: string, empty: T, operation: (channel: AmqpChannel) => Promise<T>): Promise<T> {
    const connection = this.settings.connection();
    if (connection === undefined) throw new UnavailableError("rabbitmq: not connected (reconnecting)");
    const channel = await connection.createChannel();
    channel.on("error", () => undefined);
    try {
      await channel.checkQueue(queue);
    } catch (error) {
      if (amqpCode(error) === 404) return empty;
      throw error;
    }
    try {
      return await operation(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  private entries(message: AmqpMessage): DeadLetterEntry[] {
    return deadLetterEntries(message, this.settings.originOf, this.settings.clock.now());
  }
}
