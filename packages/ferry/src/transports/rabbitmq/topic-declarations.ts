import type { TopicOptions } from "../../core/transport.js";
import type { QueueDeclarer } from "./queue-declarer.js";
import { deadLetterQueueOptions, queueOptions, type GroupLane, type QueueLayout, type QueueSet } from "./queue-layout.js";

/**
 * What one connection has declared on RabbitMQ, so each exchange and queue set is declared once
 * per connection (a reconnect starts over: `clear`), and a publish to a topic whose exchange is
 * known goes without waiting for a declare.
 */
export class TopicDeclarations {
  /** Options declared on this connection, by topic. */
  private readonly topicOptions = new Map<string, TopicOptions>();
  /** Declares done or under way: `exchange:T`, `core:T`, `durable:T`, `dlq:T`. */
  private readonly declared = new Map<string, Promise<void>>();
  /** Topics whose exchange is declared on this connection. */
  private readonly exchanges = new Set<string>();

  constructor(
    private readonly declarer: QueueDeclarer,
    private readonly layout: QueueLayout,
    private readonly replicas: number,
  ) {}

  /** The options declared for `topic` on this connection (none: `{}`). */
  options(topic: string): TopicOptions {
    return this.topicOptions.get(topic) ?? {};
  }

  /** Adds `options` to those declared for `topic`; the queues declared from now on use them. */
  addOptions(topic: string, options: TopicOptions): void {
    this.topicOptions.set(topic, { ...this.topicOptions.get(topic), ...options });
  }

  hasExchange(topic: string): boolean {
    return this.exchanges.has(topic);
  }

  /** Declares the topic's exchange once per connection; `hasExchange` then lets publishes go without waiting. */
  exchange(topic: string): Promise<void> {
    return this.once(`exchange:${topic}`, false, () =>
      this.declarer.assertExchange(this.layout.exchange(topic)).then(() => {
        this.exchanges.add(topic);
      }),
    );
  }

  /** Declares every queue of a set once per connection (`fresh`: again, as a consumer does before consuming). */
  set(topic: string, set: QueueSet | "dlq", fresh = false): Promise<void> {
    return this.once(`${set}:${topic}`, fresh, async () => {
      const deadLetters = this.layout.deadLetterQueue(topic);
      if (set === "dlq") return this.declarer.assert(deadLetters, deadLetterQueueOptions);
      // A durable set dead-letters into its dead-letter queue: it must exist first.
      if (set === "durable") await this.set(topic, "dlq");
      const options = this.options(topic);
      for (const lane of this.layout.lanes(topic, set)) await this.declarer.assert(lane.queue, queueOptions(set, lane.keyed, options, deadLetters, this.replicas));
    });
  }

  /**
   * Declares a group's core queues (auto-delete: they go when the group's last member leaves, with
   * their bindings and whatever they held) and binds each to the topic's exchange by its lane.
   */
  async group(topic: string, lanes: readonly GroupLane[]): Promise<void> {
    const exchange = this.layout.exchange(topic);
    await this.exchange(topic);
    const options = this.options(topic);
    const deadLetters = this.layout.deadLetterQueue(topic);
    for (const lane of lanes) {
      await this.declarer.assert(lane.queue, queueOptions("core", lane.keyed, options, deadLetters, this.replicas));
      await this.declarer.bind(lane.queue, exchange, lane.routingKey);
    }
  }

  /** A set's queues are gone (a core queue goes with its last consumer): the next use declares them again. */
  forgetSet(topic: string, set: QueueSet): void {
    this.declared.delete(`${set}:${topic}`);
  }

  /** The connection is new: nothing is declared on it yet. */
  clear(): void {
    this.declared.clear();
    this.exchanges.clear();
  }

  private once(id: string, fresh: boolean, declare: () => Promise<void>): Promise<void> {
    let declaring = fresh ? undefined : this.declared.get(id);
    if (declaring === undefined) {
      declaring = declare();
      this.declared.set(id, declaring);
      declaring.catch(() => this.declared.get(id) === declaring && this.declared.delete(id));
    }
    return declaring;
  }
}
