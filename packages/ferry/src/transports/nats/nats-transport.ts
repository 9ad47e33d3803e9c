import { connect as natsConnect, type ConnectionOptions, type JetStreamClient, type JetStreamManager, type MsgHdrs, type NatsConnection } from "nats";
import { BehaviorSubject, type Observable } from "rxjs";
import { defaultAckTimeoutMs, defaultMaxDeliveries, defaultMaxMessageBytes, defaultOrdered, defaultPrefetch } from "../../core/defaults.js";
import { encodeDeadLetter, type DeadLetter } from "../../core/wire/dead-letter.js";
import { ClosedError, NoRespondersError, PayloadTooLargeError, UnavailableError } from "../../core/errors.js";
import type {
  BrokerStats,
  ConnectionState,
  ConsumeOptions,
  Delivery,
  PublishOptions,
  ReplyQueue,
  Subscription,
  TopicOptions,
  TopicStats,
  Transport,
} from "../../core/transport.js";
import { connectError } from "./connect-error.js";
import { CoreConsumer } from "./core-consumer.js";
import { CorePublisher } from "./core-publisher.js";
import { DurableConsumer, type DurableConsumerSettings } from "./durable-consumer.js";
import { publishDurable, PublishWindow } from "./durable-publisher.js";
import { DurableTopics, type DurableTopic } from "./durable-topics.js";
import { buildHeaders, Header } from "./headers.js";
import { NatsMode, resolveNatsOptions, type NatsTransportOptions, type ResolvedNatsOptions } from "./nats-options.js";
import { durableTopicStats } from "./durable-stats.js";
import { openReplyInbox } from "./reply-inbox.js";
import { TopicDurability } from "./topic-durability.js";
import { TurnNotices } from "./turn-notices.js";
import { partitionOf, Subjects, unkeyedLane } from "./subjects.js";

/**
 * How long a JetStream API request (stream lookup, stats) may take. Its request queues behind
 * whatever the connection is already sending: a burst of many thousand calls can hold it for
 * seconds, well past nats.js's 5 s default.
 */
const jetStreamApiTimeoutMs = 30_000;

/**
 * The NATS transport. Core topics are plain subjects with queue groups (fast, at most once);
 * durable topics are JetStream work-queue streams (stored, acknowledged, redelivered). A topic
 * is durable when declared so, when the transport's mode is `durable`, or when its stream
 * exists, so a caller needs no configuration to reach a durable service. What is stored is
 * decided per publish (per method): a durable topic's members also take core NATS messages,
 * which carry the calls of its methods not declared durable.
 */
export class NatsTransport implements Transport {
  private readonly state = new BehaviorSubject<ConnectionState>("connected");
  readonly state$: Observable<ConnectionState> = this.state.asObservable();
  private readonly subjects: Subjects;
  private readonly publisher: CorePublisher;
  private readonly js: JetStreamClient;
  private jsmPromise: Promise<JetStreamManager> | undefined;
  private topicsPromise: Promise<DurableTopics> | undefined;
  private readonly durability: TopicDurability;
  private readonly coreTopicOptions = new Map<string, TopicOptions>();
  private readonly coreConsumers = new Map<CoreConsumer, string>();
  /** Each durable member, with what closes it (and its turn notices). */
  private readonly durableConsumers = new Map<DurableConsumer, () => Promise<void>>();
  private readonly replyQueues = new Set<ReplyQueue>();
  private readonly window = new PublishWindow();
  private closing: Promise<void> | undefined;

  private constructor(
    readonly nc: NatsConnection,
    private readonly options: ResolvedNatsOptions,
  ) {
    this.subjects = new Subjects(options.prefix);
    this.publisher = new CorePublisher(nc, options.lazyConfirmMs);
    this.js = nc.jetstream();
    this.durability = new TopicDurability((topic) => this.durableTopics().then(async (topics) => (await topics.lookup(topic, false)) !== undefined), options.clock);
    void this.watchStatus();
  }

  /** Connects to NATS. Reconnects forever by default: calls wait (within their timeouts) meanwhile. */
  static async connect(options: NatsTransportOptions = {}): Promise<NatsTransport> {
    const { resolved, url, servers, connection } = resolveNatsOptions(options);
    const list = [...(url === undefined ? [] : [url]), ...(servers === undefined ? [] : Array.isArray(servers) ? servers : [servers])];
    const nc = await natsConnect({
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      ...connection,
      ...(list.length > 0 ? { servers: list } : {}),
      // nats.js reads this option although its types do not declare it (a test checks it still does).
      pendingLimit: resolved.writeBatchBytes,
    } as ConnectionOptions).catch((error: unknown) => {
      throw connectError(list, error);
    });
    return new NatsTransport(nc, resolved);
  }

  /**
   * Durability is the publish's, as its method declares it: `durable: true` goes to the topic's
   * stream (made if missing), `durable: false` to core NATS even when the topic has a stream (its
   * servers subscribe to both), unless the mode is `durable`, which stores everything. Without
   * `durable`, the topic decides: its stream if it has one.
   */
  publish(topic: string, bytes: Uint8Array, options: PublishOptions = {}): Promise<void> {
    const refusal = this.refusal(bytes);
    if (refusal !== undefined) return Promise.reject(refusal);
    // Stored whether or not a server has declared the topic yet: its stream is made if missing.
    if (options.durable === true || this.modeStores(topic)) return this.publishToStream(topic, bytes, options);
    // The hot path: a publish declared not durable, or to a topic known to be core, awaits nothing else.
    if (this.goesCore(topic, options)) return this.publishCore(topic, bytes, options);
    if (this.durability.knownDurable(topic)) return this.publishToStream(topic, bytes, options);
    return this.isDurable(topic).then((durable) => (durable ? this.publishToStream(topic, bytes, options) : this.publishCore(topic, bytes, options)));
  }

  publishRequest(topic: string, bytes: Uint8Array, options: PublishOptions, failed: (error: Error) => void): void {
    if (options.durable === true || this.modeStores(topic) || this.refusal(bytes) !== undefined || !this.goesCore(topic, options)) {
      this.publish(topic, bytes, { ...options, lazyConfirm: true }).catch(failed);
      return;
    }
    this.publisher.publishRequest(this.subjects.subject(topic), topic, bytes, coreHeaders(options), options.requireConsumer === true, failed);
  }

  /**
   * Whether the mode stores `topic`: durable mode stores every topic but one this connection
   * declared `durable: false`, which stays on core NATS so many groups may read it (a work-queue
   * stream allows one). Every process using it must declare it so (Ferry's discovery topic is).
   */
  private modeStores(topic: string): boolean {
    return this.options.mode === NatsMode.Durable && this.coreTopicOptions.get(topic)?.durable !== false;
  }

  /** A publish that is not stored goes to core NATS: declared not durable, or its topic was found core recently. */
  private goesCore(topic: string, options: PublishOptions): boolean {
    return options.durable === false || this.durability.knownCore(topic);
  }

  /** Why a publish of `bytes` is refused before it is sent, if it is. */
  private refusal(bytes: Uint8Array): ClosedError | PayloadTooLargeError | undefined {
    if (this.closing !== undefined) return new ClosedError("the transport");
    const maxPayload = this.nc.info?.max_payload ?? defaultMaxMessageBytes;
    return bytes.length > maxPayload ? PayloadTooLargeError.of(bytes.length, maxPayload) : undefined;
  }

  private publishCore(topic: string, bytes: Uint8Array, options: PublishOptions): Promise<void> {
    return this.publisher.publish(this.subjects.subject(topic), topic, bytes, coreHeaders(options), options.requireConsumer === true, options.lazyConfirm === true);
  }

  private async publishToStream(topic: string, bytes: Uint8Array, options: PublishOptions): Promise<void> {
    const topics = await this.durableTopics();
    const described = await topics.lookup(topic, options.durable === true || options.requireConsumer !== true);
    if (described === undefined) throw NoRespondersError.forTopic(topic);
    this.durability.markDurable(topic);
    const headers = buildHeaders({
      [Header.Key]: options.key,
      [Header.ExpiresAt]: options.expiresAt === undefined ? undefined : String(options.expiresAt),
    });
    const subject =
      options.key === undefined ? this.subjects.lane(topic, unkeyedLane) : this.subjects.keySubject(topic, partitionOf(options.key, described.partitions), options.key);
    await this.window.run(() => publishDurable(this.js, subject, topic, bytes, headers, options.messageId, this.options.publishRetryMs, this.options.clock));
  }

  async consume(topic: string, group: string, onDelivery: (delivery: Delivery) => void, options: ConsumeOptions = {}): Promise<Subscription> {
    this.ensureOpen();
    this.subjects.check(topic);
    const prefetch = options.prefetch ?? defaultPrefetch;
    const ordered = options.ordered ?? defaultOrdered;
    const deadLettersOf = this.subjects.deadLetterOf(topic);
    if (deadLettersOf !== undefined) return this.consumeDeadLetters(deadLettersOf, group, onDelivery, prefetch);
    if (await this.isDurable(topic)) {
      const topics = await this.durableTopics();
      const described = (await topics.lookup(topic, true))!;
      const lanes = [{ consumer: await topics.ensureConsumer(described, group, unkeyedLane, ordered), partition: described.partitions, keyed: false }];
      for (let p = 0; p < described.partitions; p++) lanes.push({ consumer: await topics.ensureConsumer(described, group, p, ordered), partition: p, keyed: true });
      // Methods not declared durable reach a durable topic on core NATS: its members take both.
      const core = await this.consumeCore(topic, group, onDelivery, { prefetch, ordered, maxDeliveries: described.maxDeliveries });
      try {
        const durable = await this.startDurable(described, group, lanes, { prefetch, ordered }, onDelivery);
        return { unsubscribe: async () => void (await Promise.all([durable.unsubscribe(), core.unsubscribe()])) };
      } catch (error) {
        await core.unsubscribe();
        throw error;
      }
    }
    return this.consumeCore(topic, group, onDelivery, { prefetch, ordered, maxDeliveries: this.coreTopicOptions.get(topic)?.maxDeliveries ?? defaultMaxDeliveries });
  }

  /** A member of queue group `group` on the topic's core subject; resolves once NATS has the subscription. */
  private async consumeCore(
    topic: string,
    group: string,
    onDelivery: (delivery: Delivery) => void,
    options: { prefetch: number; ordered: boolean; maxDeliveries: number },
  ): Promise<Subscription> {
    const consumer = new CoreConsumer(
      this.nc,
      {
        topic,
        subject: this.subjects.subject(topic),
        group,
        ...options,
        deadLetter: (from, partition, record) => this.nc.publish(this.subjects.deadLetterSubject(from, partition), encodeDeadLetter(record)),
        clock: this.options.clock,
      },
      onDelivery,
    );
    this.coreConsumers.set(consumer, group);
    // Resolve once NATS has the subscription: a call made right after `serve()` finds a responder.
    try {
      await this.nc.flush();
    } catch (error) {
      this.coreConsumers.delete(consumer);
      await consumer.close();
      if (this.nc.isClosed()) throw new ClosedError("nats: the connection is closed", { cause: error });
      throw new UnavailableError(`nats: the subscription was not confirmed: ${(error as Error).message}`, { cause: error });
    }
    return {
      unsubscribe: async () => {
        if (this.coreConsumers.delete(consumer)) await consumer.close();
      },
    };
  }

  /** `<topic>.dlq`: the dead-letter stream when the topic is durable, else the core dead-letter subjects. */
  private async consumeDeadLetters(topic: string, group: string, onDelivery: (delivery: Delivery) => void, prefetch: number): Promise<Subscription> {
    const dlqTopic = this.subjects.deadLetterTopic(topic);
    if (!(await this.isDurable(topic))) {
      const subscription = this.nc.subscribe(`${this.subjects.subject(dlqTopic)}.*`, {
        queue: group,
        callback: (error, msg) => error === null && onDelivery(plainDelivery(dlqTopic, msg.data)),
      });
      return { unsubscribe: async () => subscription.unsubscribe() };
    }
    const topics = await this.durableTopics();
    const stream = await topics.ensureDeadLetterStream(topic);
    const jsm = await this.jsm();
    const consumer = this.subjects.consumer(group, "dlq");
    await jsm.consumers.add(stream, { durable_name: consumer, ack_policy: "explicit" as never, filter_subject: `${this.subjects.subject(dlqTopic)}.*` });
    const described: DurableTopic = { topic: dlqTopic, stream, partitions: 1, ackTimeoutMs: defaultAckTimeoutMs, maxDeliveries: Number.MAX_SAFE_INTEGER };
    return this.startDurable(described, group, [{ consumer, partition: 0, keyed: false }], { prefetch, ordered: false }, onDelivery);
  }

  private async startDurable(
    described: DurableTopic,
    group: string,
    lanes: DurableConsumerSettings["lanes"],
    options: { prefetch: number; ordered: boolean },
    onDelivery: (delivery: Delivery) => void,
  ): Promise<Subscription> {
    const topics = await this.durableTopics();
    // Only members that take turns by key listen; the notices reach the members of every group of the topic.
    const notices = options.ordered ? new TurnNotices(this.nc, this.subjects.turnNotices(described.topic), (line) => consumer.nudge(line)) : undefined;
    const consumer: DurableConsumer = new DurableConsumer(
      this.js,
      {
        topic: described,
        group,
        lanes,
        ...options,
        deadLetter: (topic, partition, record) => this.storeDeadLetter(topic, partition, record),
        firstSeq: (subject, fromSeq) => topics.firstSeq(described, subject, fromSeq),
        announce: (line) => notices?.announce(line),
        clock: this.options.clock,
      },
      onDelivery,
    );
    const close = async (): Promise<void> => {
      notices?.close();
      await consumer.close();
    };
    this.durableConsumers.set(consumer, close);
    try {
      await consumer.start();
    } catch (error) {
      this.durableConsumers.delete(consumer);
      await close();
      throw error;
    }
    return {
      unsubscribe: async () => {
        if (this.durableConsumers.delete(consumer)) await close();
      },
    };
  }

  private async storeDeadLetter(topic: string, partition: number, record: DeadLetter): Promise<void> {
    await publishDurable(this.js, this.subjects.deadLetterSubject(topic, partition), `${topic}.dlq`, encodeDeadLetter(record), undefined, undefined, this.options.publishRetryMs, this.options.clock);
  }

  async openReplyQueue(): Promise<ReplyQueue> {
    this.ensureOpen();
    const queue = openReplyInbox(this.nc, (closed) => this.replyQueues.delete(closed));
    this.replyQueues.add(queue);
    return queue;
  }

  reply(queue: string, bytes: Uint8Array): void {
    if (this.closing !== undefined || this.nc.isClosed()) return;
    try {
      this.nc.publish(queue, bytes);
    } catch {
      // An invalid reply subject came from a malformed request: the reply has nowhere to go.
    }
  }

  async declareTopic(topic: string, options: TopicOptions): Promise<void> {
    this.ensureOpen();
    this.subjects.check(topic);
    if (options.durable === true || (this.options.mode === NatsMode.Durable && options.durable !== false)) {
      await (await this.durableTopics()).declare(topic, options);
      this.durability.markDurable(topic);
      return;
    }
    this.coreTopicOptions.set(topic, options);
  }

  async stats(): Promise<BrokerStats> {
    const topics = new Map<string, TopicStats>();
    for (const [consumer, group] of this.coreConsumers) {
      const name = consumer.settings.topic;
      const topic = topics.get(name) ?? { name, partitions: [{ partition: 0, depth: 0, published: 0, dropped: 0 }], groups: [] };
      topic.groups.push({ group, consumers: 1, partitions: [consumer.stats()] });
      topics.set(name, topic);
    }
    if (this.jsmPromise !== undefined || this.options.mode === NatsMode.Durable) {
      for (const topic of await durableTopicStats(await this.jsm(), this.subjects)) topics.set(topic.name, topic);
      this.addMemberCounts(topics);
    }
    return { topics: [...topics.values()], replyQueues: this.replyQueues.size, repliesDropped: 0 };
  }

  /**
   * JetStream keeps no count of the requests members dropped for their deadline: what this
   * connection's members dropped is added to what JetStream reports. Members elsewhere report theirs.
   */
  private addMemberCounts(topics: Map<string, TopicStats>): void {
    for (const consumer of this.durableConsumers.keys()) {
      const group = topics.get(consumer.settings.topic.topic)?.groups.find((found) => found.group === consumer.settings.group);
      for (const partition of group?.partitions ?? []) partition.expired += consumer.stats(partition.partition).expired;
    }
  }

  /** Leaves every group (JetStream takes back what was held), closes reply queues and the connection. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const consumer of [...this.coreConsumers.keys()]) await consumer.close();
      this.coreConsumers.clear();
      for (const close of [...this.durableConsumers.values()]) await close();
      this.durableConsumers.clear();
      for (const queue of [...this.replyQueues]) queue.close();
      this.publisher.close();
      await this.nc.drain().catch(() => undefined);
      // nats.js's drain resolves without closing when its final flush fails (NATS is down): the
      // connection would then go on reconnecting, and keep the process alive, for ever.
      if (!this.nc.isClosed()) await this.nc.close();
      this.state.next("closed");
      this.state.complete();
    })();
    return this.closing;
  }

  /** Whether `topic` is durable: the transport's mode (unless declared here `durable: false`), declared here, or a stream exists for it. */
  private isDurable(topic: string): Promise<boolean> {
    return this.options.mode === NatsMode.Durable ? Promise.resolve(this.modeStores(topic)) : this.durability.isDurable(topic);
  }

  private jsm(): Promise<JetStreamManager> {
    this.jsmPromise ??= this.nc.jetstreamManager({ timeout: jetStreamApiTimeoutMs }).catch((error: unknown) => {
      throw new UnavailableError(`nats: the JetStream API did not answer: ${(error as Error).message}`, { cause: error });
    });
    this.jsmPromise.catch(() => (this.jsmPromise = undefined));
    return this.jsmPromise;
  }

  private durableTopics(): Promise<DurableTopics> {
    this.topicsPromise ??= this.jsm().then((jsm) => new DurableTopics(jsm, this.subjects, this.options));
    this.topicsPromise.catch(() => (this.topicsPromise = undefined));
    return this.topicsPromise;
  }

  private async watchStatus(): Promise<void> {
    void this.nc.closed().then(() => {
      if (!this.state.closed) {
        this.state.next("closed");
        this.state.complete();
      }
    });
    for await (const status of this.nc.status()) {
      if (this.state.closed) return;
      if (status.type === "disconnect" || status.type === "reconnecting") {
        if (this.state.value !== "reconnecting") this.state.next("reconnecting");
      } else if (status.type === "reconnect") this.state.next("connected");
    }
  }

  private ensureOpen(): void {
    if (this.closing !== undefined) throw new ClosedError("the transport");
  }
}

/** A dead letter received on core NATS: nothing to acknowledge. */
function plainDelivery(topic: string, bytes: Uint8Array): Delivery {
  return { bytes, topic, partition: 0, offset: 0, deliveryCount: 1, maxDeliveries: 1, key: undefined, ack() {}, nack() {}, reject() {} };
}

/** Core messages carry only their partition key as a header. */
function coreHeaders(options: PublishOptions): MsgHdrs | undefined {
  return options.key === undefined ? undefined : buildHeaders({ [Header.Key]: options.key });
}
