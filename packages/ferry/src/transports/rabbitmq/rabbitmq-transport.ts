import { randomUUID } from "node:crypto";
import { BehaviorSubject, type Observable } from "rxjs";
import { defaultMaxDeliveries, defaultMaxMessageBytes, defaultOrdered, defaultPrefetch } from "../../core/defaults.js";
import { ClosedError, NoRespondersError, PayloadTooLargeError, UnavailableError } from "../../core/errors.js";
import type { BrokerStats, BrowseOptions, BrowsePage, ConnectionState, ConsumeOptions, Delivery, PublishOptions, ReplyQueue, Subscription, TopicOptions, Transport } from "../../core/transport.js";
import { encodeDeadLetter, type DeadLetter } from "../../core/wire/dead-letter.js";
import { loadAmqplib, type AmqpConnection, type AmqpPublishOptions, type Amqplib } from "./amqp-api.js";
import { ConfirmPublisher, type PublishOutcome } from "./confirm-publisher.js";
import { RabbitDeadLetterBrowser } from "./dead-letter-browser.js";
import { DeadLetterConsumer } from "./dead-letter-consumer.js";
import type { Member } from "./group-member.js";
import { LaneConsumer } from "./lane-consumer.js";
import { Header, publishHeaders } from "./message-headers.js";
import { QueueDeclarer } from "./queue-declarer.js";
import { QueueLayout, type QueueSet } from "./queue-layout.js";
import { connectError, notConnected, unavailable } from "./rabbitmq-errors.js";
import { maxBundleBytes, maxBundleItems, resolveRabbitMqOptions, type RabbitMqTransportOptions, type ResolvedRabbitMqOptions } from "./rabbitmq-options.js";
import { RabbitReplyQueue } from "./reply-queue.js";
import { ReplySender } from "./reply-sender.js";
import { RequestBundler } from "./request-bundler.js";
import { TopicDeclarations } from "./topic-declarations.js";
import { topicStats } from "./topic-stats.js";
import { WriteBatch } from "./write-batch.js";

/**
 * The RabbitMQ transport (AMQP 0-9-1, amqplib). Each topic has a set of classic auto-delete
 * queues for calls that need not be stored and, once a `@durable` method or a durable declare
 * asks for it, a set of durable quorum queues; see `QueueLayout`. Core publishes go to the
 * topic's exchange, which gives each consumer group a copy in queues of its own; stored ones go
 * through the default exchange to a queue by name. Every publish is confirmed in batches by
 * RabbitMQ (`ConfirmPublisher`); members ack by hand after the reply (`LaneConsumer`); replies go
 * to an exclusive queue per client (`RabbitReplyQueue`). Publishes (core or durable) and replies
 * of one turn to one queue travel as one message (`RequestBundler`, `ReplySender`). A lost
 * connection is reopened with backoff and every queue, consumer and reply queue is set up again.
 */
export class RabbitMqTransport implements Transport {
  private readonly state = new BehaviorSubject<ConnectionState>("connected");
  readonly state$: Observable<ConnectionState> = this.state.asObservable();
  private readonly layout: QueueLayout;
  private readonly publisher = new ConfirmPublisher();
  private readonly declarer = new QueueDeclarer();
  private readonly requests: RequestBundler;
  private readonly replies: ReplySender;
  private connection: AmqpConnection | undefined;
  /** Gathers the writes of one turn (publishes, replies, acks) into one socket write. */
  private batch = new WriteBatch(undefined);
  private readonly declarations: TopicDeclarations;
  /** Topics this connection has published to, declared or consumed: what `stats()` reports. */
  private readonly knownTopics = new Set<string>();
  private readonly members = new Map<Member, LaneConsumer | undefined>();
  private readonly replyQueues = new Set<RabbitReplyQueue>();
  private readonly deadLetterBrowser: RabbitDeadLetterBrowser;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly amqp: Amqplib,
    private readonly options: ResolvedRabbitMqOptions,
  ) {
    this.layout = new QueueLayout(options.prefix, options.partitions);
    this.declarations = new TopicDeclarations(this.declarer, this.layout, options.replicas);
    const limits = options.bundle ? { maxItems: maxBundleItems, maxBytes: maxBundleBytes } : undefined;
    this.requests = new RequestBundler(this.publisher, limits, options.clock);
    this.replies = new ReplySender(limits, () => this.batch.hold());
    for (const topic of options.statsTopics) this.knownTopics.add(topic);
    this.deadLetterBrowser = new RabbitDeadLetterBrowser({
      layout: this.layout,
      connection: () => this.connection,
      originOf: (queue) => this.layout.originOf(queue),
      keep: async (queue, entries) => void (await Promise.all(entries.map((entry) => this.publishDeadLetter(queue, entry.bytes, entry.id)))),
      clock: options.clock,
    });
  }

  /** Connects to RabbitMQ. A refused first connect is an error; a connection lost later is reopened for ever. */
  static async connect(options: RabbitMqTransportOptions = {}): Promise<RabbitMqTransport> {
    const resolved = resolveRabbitMqOptions(options);
    const transport = new RabbitMqTransport(await loadAmqplib(), resolved);
    await transport.open().catch((error: unknown) => {
      throw connectError(resolved.url, error);
    });
    return transport;
  }

  /** The RabbitMQ server's version, as it announced itself. */
  get serverVersion(): string | undefined {
    return this.connection?.connection.serverProperties?.version;
  }

  publish(topic: string, bytes: Uint8Array, options: PublishOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => this.send(topic, bytes, options, (error) => (error === undefined ? resolve() : reject(error))));
  }

  publishRequest(topic: string, bytes: Uint8Array, options: PublishOptions, failed: (error: Error) => void): void {
    this.send(topic, bytes, options, (error) => error !== undefined && failed(error));
  }

  /**
   * A stored publish (`durable`, or to a topic declared durable here) goes, persistent, to the
   * topic's quorum queues, declared first if need be. Anything else goes to the topic's exchange,
   * which copies it to every group's queue of its lane; when no group is bound, RabbitMQ returns
   * it: a request that needs a consumer fails `NO_RESPONDERS`, anything else waits in the topic's
   * core queues without a group for the first member. `done` is called once, never synchronously.
   */
  private send(topic: string, bytes: Uint8Array, options: PublishOptions, done: (error?: Error) => void): void {
    const refusal = this.refusal(topic, bytes);
    if (refusal !== undefined) {
      queueMicrotask(() => done(refusal));
      return;
    }
    this.knownTopics.add(topic);
    const durable = options.durable ?? this.declarations.options(topic).durable === true;
    const amqpOptions: AmqpPublishOptions = { persistent: durable };
    const headers = publishHeaders(options.key, options.expiresAt);
    if (headers !== undefined) amqpOptions.headers = headers;
    if (options.expiresAt !== undefined) amqpOptions.expiration = String(Math.max(0, Math.ceil(options.expiresAt - this.options.clock.now())));
    if (durable) {
      this.store(topic, "durable", options.key, options.expiresAt, bytes, amqpOptions, done);
      return;
    }
    const toGroups = (): void =>
      this.requests.publish({
        exchange: this.layout.exchange(topic),
        routingKey: this.layout.routingKey(options.key),
        bytes,
        key: options.key,
        expiresAt: options.expiresAt,
        options: amqpOptions,
        done: (outcome) => {
          if (outcome === "confirmed") return done();
          if (outcome !== "returned") return done(outcome);
          if (options.requireConsumer === true) return done(NoRespondersError.forTopic(topic));
          this.store(topic, "core", options.key, options.expiresAt, bytes, amqpOptions, done);
        },
      });
    if (this.declarations.hasExchange(topic)) {
      toGroups();
      return;
    }
    this.declarations.exchange(topic).then(toGroups, (error: unknown) => done(unavailable(error)));
  }

  /**
   * Publishes by queue name to a set's queues, declared first, where the message waits for a
   * consumer (bundled with the turn's other publishes to that queue, see `RequestBundler`); one
   * deleted since (a core queue goes with its last consumer) is declared again and the publish
   * sent once more.
   */
  private store(topic: string, set: QueueSet, key: string | undefined, expiresAt: number | undefined, bytes: Uint8Array, amqpOptions: AmqpPublishOptions, done: (error?: Error) => void): void {
    const queue = this.layout.queueFor(topic, set, key);
    const attempt = (again: boolean): void => {
      this.declarations.set(topic, set).then(
        () =>
          this.requests.publish({
            exchange: "",
            routingKey: queue,
            bytes,
            key,
            expiresAt,
            options: amqpOptions,
            done: (outcome) => {
              if (outcome === "confirmed") return done();
              if (outcome !== "returned") return done(outcome);
              if (again) return done(new UnavailableError(`rabbitmq: queue ${queue} vanished twice while publishing`));
              this.declarations.forgetSet(topic, set);
              attempt(true);
            },
          }),
        (error: unknown) => done(unavailable(error)),
      );
    };
    attempt(false);
  }

  private refusal(topic: string, bytes: Uint8Array): Error | undefined {
    if (this.closing !== undefined) return new ClosedError("the transport");
    if (bytes.length > defaultMaxMessageBytes) return PayloadTooLargeError.of(bytes.length, defaultMaxMessageBytes);
    try {
      this.layout.check(topic);
    } catch (error) {
      return error as Error;
    }
    return undefined;
  }

  async consume(topic: string, group: string, onDelivery: (delivery: Delivery) => void, options: ConsumeOptions = {}): Promise<Subscription> {
    this.ensureOpen();
    this.layout.check(topic);
    const prefetch = options.prefetch ?? defaultPrefetch;
    const deadLettersOf = this.layout.deadLettersOf(topic);
    let member: Member;
    let consumer: LaneConsumer | undefined;
    if (deadLettersOf !== undefined) {
      const reader = new DeadLetterConsumer(
        { topic, queue: this.layout.deadLetterQueue(deadLettersOf), prefetch, originOf: (queue) => this.layout.originOf(queue), clock: this.options.clock },
        onDelivery,
      );
      member = { start: (connection) => reader.start(connection), detach: () => reader.detach(), close: () => reader.close(), declare: () => this.declarations.set(deadLettersOf, "dlq", true) };
    } else {
      this.knownTopics.add(topic);
      const declared = this.declarations.options(topic);
      const sets: QueueSet[] = ["core"];
      if (declared.durable === true || (await this.declarer.check(this.layout.unkeyed(topic, "durable"))) !== undefined) sets.push("durable");
      // The group's own queues first, then what waits without a group and the shared durable set.
      const groupLanes = this.layout.groupLanes(topic, group);
      const lanes = [...groupLanes, ...sets.flatMap((set) => this.layout.lanes(topic, set))];
      const laneConsumer = new LaneConsumer(
        {
          topic,
          group,
          lanes,
          prefetch,
          ordered: options.ordered ?? defaultOrdered,
          maxDeliveries: declared.maxDeliveries ?? defaultMaxDeliveries,
          deadLetter: (record) => this.storeDeadLetter(topic, record),
          writes: () => this.batch.hold(),
          afterReplies: (action) => this.replies.afterReplies(action),
          clock: this.options.clock,
        },
        onDelivery,
      );
      consumer = laneConsumer;
      member = {
        start: (connection, lost) => laneConsumer.start(connection, lost),
        detach: () => laneConsumer.detach(),
        close: () => laneConsumer.close(),
        declare: async () => {
          for (const set of sets) await this.declarations.set(topic, set, true);
          await this.declarations.group(topic, groupLanes);
        },
      };
    }
    await this.startMember(member);
    this.members.set(member, consumer);
    return {
      unsubscribe: async () => {
        if (this.members.delete(member)) await member.close();
      },
    };
  }

  private async startMember(member: Member): Promise<void> {
    const connection = this.connection;
    if (connection === undefined) throw notConnected();
    try {
      await member.declare();
      await member.start(connection, () => this.restartMember(member));
    } catch (error) {
      await member.close();
      throw unavailable(error);
    }
  }

  /** A member's channel closed while the connection stayed up: it is started again after a pause. */
  private restartMember(member: Member): void {
    setTimeout(() => {
      if (this.closing !== undefined || !this.members.has(member) || this.connection === undefined) return;
      this.startMember(member).catch(() => this.restartMember(member));
    }, this.options.reconnectDelayMs).unref();
  }

  /** Writes a dead letter to the topic's dead-letter queue (durable, persistent), resolving once RabbitMQ confirmed it. */
  private async storeDeadLetter(topic: string, record: DeadLetter): Promise<void> {
    await this.declarations.set(topic, "dlq");
    await this.publishDeadLetter(this.layout.deadLetterQueue(topic), encodeDeadLetter(record), randomUUID());
  }

  /** Publishes a dead-letter record to `queue` under `id`, alone and persistent, resolving once RabbitMQ confirmed it. */
  private publishDeadLetter(queue: string, bytes: Uint8Array, id: string): Promise<void> {
    return new Promise<void>((resolve, reject) =>
      this.publisher.publish("", queue, bytes, { persistent: true, headers: { [Header.DeadLetter]: 1, [Header.DeadLetterId]: id } }, (outcome) =>
        outcome === "confirmed" ? resolve() : reject(outcome === "returned" ? new UnavailableError("rabbitmq: the dead-letter queue vanished") : outcome),
      ),
    );
  }

  async openReplyQueue(): Promise<ReplyQueue> {
    this.ensureOpen();
    const connection = this.connection;
    if (connection === undefined) throw notConnected();
    const queue = new RabbitReplyQueue(this.layout.replyQueue(), (closed) => this.replyQueues.delete(closed));
    try {
      await queue.start(connection);
    } catch (error) {
      queue.close();
      throw unavailable(error);
    }
    this.replyQueues.add(queue);
    return queue;
  }

  /** At most once, unconfirmed (see `ReplySender`). */
  reply(queue: string, bytes: Uint8Array): void {
    if (this.closing === undefined) this.replies.send(queue, bytes);
  }

  /**
   * Reads a dead-letter topic without consuming it (see `RabbitDeadLetterBrowser`). Its service's
   * topic becomes one `stats()` reports, so the dead-letter tool can tell a service with no dead
   * letters from one RabbitMQ does not know.
   */
  async browse(topic: string, options: BrowseOptions): Promise<BrowsePage> {
    this.ensureOpen();
    const origin = this.layout.deadLettersOf(topic);
    if (origin !== undefined && this.layout.check(origin) === undefined) this.knownTopics.add(origin);
    try {
      return await this.deadLetterBrowser.browse(topic, options);
    } catch (error) {
      throw unavailable(error);
    }
  }

  /** Deletes dead letters by the ids `browse` gave them. */
  async remove(topic: string, ids: readonly string[]): Promise<number> {
    this.ensureOpen();
    try {
      return await this.deadLetterBrowser.remove(topic, ids);
    } catch (error) {
      throw unavailable(error);
    }
  }

  async declareTopic(topic: string, options: TopicOptions): Promise<void> {
    this.ensureOpen();
    this.layout.check(topic);
    this.declarations.addOptions(topic, options);
    this.knownTopics.add(topic);
    try {
      await this.declarations.set(topic, "core", true);
      await this.declarations.exchange(topic);
      if (options.durable === true) await this.declarations.set(topic, "durable", true);
    } catch (error) {
      throw unavailable(error);
    }
  }

  async stats(): Promise<BrokerStats> {
    const topics = [];
    for (const topic of this.knownTopics) {
      const consumers = [...this.members.values()].filter((consumer): consumer is LaneConsumer => consumer?.settings.topic === topic);
      const stats = await topicStats(topic, this.layout, this.declarer, consumers).catch((error: unknown) => {
        throw unavailable(error);
      });
      if (stats !== undefined) topics.push(stats);
    }
    return { topics, replyQueues: this.replyQueues.size, repliesDropped: this.replies.dropped };
  }

  /** Leaves every group (RabbitMQ takes back what was unacknowledged), closes reply queues and the connection. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const member of [...this.members.keys()]) await member.close();
      this.members.clear();
      for (const queue of [...this.replyQueues]) queue.close();
      await this.replies.close();
      const connection = this.connection;
      this.connection = undefined;
      this.publisher.detach("rabbitmq: the transport closed before RabbitMQ confirmed");
      await connection?.close().catch(() => undefined);
      this.state.next("closed");
      this.state.complete();
    })();
    return this.closing;
  }

  /** Opens the connection and its publishing, reply and declaring channels. */
  private async open(): Promise<void> {
    const connection = await this.amqp.connect(this.options.url, { noDelay: true, clientProperties: { connection_name: this.options.connectionName } });
    try {
      connection.on("error", () => undefined);
      connection.on("close", () => this.lost(connection));
      connection.on("blocked", (reason) => this.publisher.block(reason));
      connection.on("unblocked", () => this.publisher.unblock());
      const confirms = await connection.createConfirmChannel();
      confirms.on("error", () => undefined);
      const replies = await connection.createChannel();
      replies.on("error", () => undefined);
      this.batch = new WriteBatch(connection.connection.stream);
      this.publisher.attach(confirms, this.batch);
      this.replies.attach(replies);
      this.declarer.attach(connection);
      this.connection = connection;
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  /** The connection dropped: publishes without a confirm fail (retryable), and reconnecting starts. */
  private lost(connection: AmqpConnection): void {
    if (this.connection !== connection || this.closing !== undefined) return;
    this.connection = undefined;
    this.replies.attach(undefined);
    this.declarer.attach(undefined);
    this.publisher.detach("rabbitmq: the connection dropped before RabbitMQ confirmed");
    for (const member of this.members.keys()) member.detach();
    this.declarations.clear();
    this.state.next("reconnecting");
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    let delayMs = this.options.reconnectDelayMs;
    while (this.closing === undefined) {
      await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      if (this.closing !== undefined) return;
      try {
        await this.open();
        const connection = this.connection!;
        for (const queue of this.replyQueues) await queue.start(connection);
        for (const member of this.members.keys()) {
          await member.declare();
          await member.start(connection, () => this.restartMember(member));
        }
        this.state.next("connected");
        return;
      } catch {
        const half = this.connection;
        this.connection = undefined;
        await half?.close().catch(() => undefined);
        delayMs = Math.min(delayMs * 2, this.options.maxReconnectDelayMs);
      }
    }
  }

  private ensureOpen(): void {
    if (this.closing !== undefined) throw new ClosedError("the transport");
  }
}
