import { createHash } from "node:crypto";
import type { Clock } from "../../core/clock.js";
import { InvalidArgumentError, UnavailableError, UnimplementedError } from "../../core/errors.js";
import type { BrowseOptions, BrowsedMessage, BrowsePage } from "../../core/transport.js";
import { amqpCode, type AmqpChannel, type AmqpConnection, type AmqpMessage } from "./amqp-api.js";
import { deadLetterBytes, Header, headerString } from "./message-headers.js";
import type { QueueLayout } from "./queue-layout.js";

export interface RabbitDeadLetterBrowserSettings {
  layout: QueueLayout;
  /** The connection now (undefined while reconnecting). */
  connection: () => AmqpConnection | undefined;
  /** The topic and partition a queue name stands for, for dead letters RabbitMQ made itself. */
  originOf: (queue: string) => { topic: string; partition: number };
  clock: Clock;
}

/** Ids of dead letters a member wrote (`x-ferry-dead-letter-id`, a UUID) and of those RabbitMQ made (a digest). */
const idForm = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|r[0-9a-f]{32})$/;

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
 * named by a digest of its body, its `x-death` header and its message id (two identical bodies
 * dead-lettered at the same second from one queue would share it). A page ends at the message
 * whose id is `next`; the next page starts after that id, or, if it was removed since, at the head
 * again (an entry may then be listed twice, never missed).
 */
export class RabbitDeadLetterBrowser {
  constructor(private readonly settings: RabbitDeadLetterBrowserSettings) {}

  async browse(topic: string, options: BrowseOptions): Promise<BrowsePage> {
    if (!Number.isInteger(options.limit) || options.limit < 1) throw new InvalidArgumentError(`browse limit must be a positive integer, got ${options.limit}`);
    const queue = this.queueOf(topic);
    return this.withChannel<BrowsePage>(queue, { messages: [], next: undefined }, async (channel) => {
      const taken: BrowsedMessage[] = [];
      let skipping = options.after !== undefined;
      const seen: BrowsedMessage[] = [];
      for (;;) {
        const message = await channel.get(queue, { noAck: false });
        if (message === false) break;
        const browsed = this.read(message);
        seen.push(browsed);
        if (skipping) {
          if (browsed.id === options.after) skipping = false;
          continue;
        }
        taken.push(browsed);
        if (taken.length === options.limit) {
          // One more tells whether this page reached the end.
          const more = await channel.get(queue, { noAck: false });
          return { messages: taken, next: more === false ? undefined : browsed.id };
        }
      }
      // `after` was removed since its page: start again at the head.
      if (skipping) return { messages: seen.slice(0, options.limit), next: seen.length > options.limit ? seen[options.limit - 1]!.id : undefined };
      return { messages: taken, next: undefined };
    });
  }

  /**
   * Takes messages from the head until every id is found or the queue is empty, acks those named,
   * and closes the channel (the others go back). Resolves once RabbitMQ answered the close, which
   * it sends after the acks before it.
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
        if (!wanted.delete(this.idOf(message))) continue;
        channel.ack(message);
        removed++;
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

  private read(message: AmqpMessage): BrowsedMessage {
    return {
      id: this.idOf(message),
      bytes: deadLetterBytes(message, this.settings.originOf, this.settings.clock.now()),
      key: headerString(message, Header.Key),
    };
  }

  private idOf(message: AmqpMessage): string {
    const stamped = headerString(message, Header.DeadLetterId);
    if (stamped !== undefined) return stamped;
    const digest = createHash("sha256");
    digest.update(message.content);
    digest.update(JSON.stringify(message.properties.headers?.["x-death"] ?? null, (_key, value: unknown) => (typeof value === "bigint" ? String(value) : value)));
    digest.update(message.properties.messageId ?? "");
    return `r${digest.digest("hex").slice(0, 32)}`;
  }
}
