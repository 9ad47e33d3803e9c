import type tls from "node:tls";
import type { Observable } from "rxjs";
import { MessageStream } from "../../core/message-stream.js";
import { InvalidArgumentError, PayloadTooLargeError } from "../../core/errors.js";
import type {
  BrokerStats,
  BrowseOptions,
  BrowsePage,
  ConnectionState,
  ConsumeOptions,
  Delivery,
  PublishOptions,
  ReplyQueue,
  Subscription,
  TopicOptions,
  Transport,
} from "../../core/transport.js";
import { Op, type AckFrame, type DeliveryFrame, type NackFrame, type PublishFrame, type RejectFrame, type ReplyMessageFrame } from "../../broker/protocol/protocol.js";
import { defaultMaxFrameBytes, frameOverheadBytes } from "../../broker/protocol/frame-limits.js";
import { defaultBrokerPort } from "../../broker/server/broker-address.js";
import { defaultOrdered, defaultPrefetch } from "../../core/defaults.js";
import { TcpConnection } from "./tcp-connection.js";
import { readBrowsePage } from "./read-browse-page.js";

export interface TcpTransportOptions {
  /** `ferry://host:port` (or `ferrys://` for TLS). */
  url: string;
  /** The broker's token, if it requires one. */
  token?: string;
  /** TLS options (`ca`, `servername`, ...) for `ferrys://`. */
  tls?: tls.ConnectionOptions;
  /** Largest frame sent or accepted, bytes. Default 1 MiB + 4 KiB (match the broker's). */
  maxFrameBytes?: number;
  /** Ping interval; 3 silent intervals mean the link is dead, ms. Default 5,000. */
  heartbeatMs?: number;
  /** How long a connect (or reconnect) waits for the broker's Welcome, ms. Default 10,000. */
  handshakeTimeoutMs?: number;
  /** First and longest delay between reconnect attempts, ms. Defaults 100 and 5,000. */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
}

interface LocalSubscription {
  /** Chosen here, kept across reconnects. */
  id: number;
  topic: string;
  group: string;
  onDelivery: (delivery: Delivery) => void;
  options: Required<ConsumeOptions>;
}

interface LocalReplyQueue {
  name: string;
  /** Takes the queue back after a reconnect. */
  secret: string;
  stream: MessageStream<Uint8Array>;
}

/**
 * The TCP transport: the same contract as the in-process one, over a socket to a shared broker.
 * After a reconnect it takes back its reply queues by name (the broker holds them for a grace
 * period, with the replies that arrived meanwhile) and subscribes again.
 */
export class TcpTransport implements Transport {
  private readonly connection: TcpConnection;
  private readonly subscriptions = new Map<number, LocalSubscription>();
  private readonly replyQueues = new Map<string, LocalReplyQueue>();
  private readonly maxFrameBytes: number;
  private nextSubscription = 0;
  readonly state$: Observable<ConnectionState>;
  private closed = false;

  private constructor(options: TcpTransportOptions) {
    const url = parseUrl(options.url);
    this.maxFrameBytes = options.maxFrameBytes ?? defaultMaxFrameBytes;
    this.connection = new TcpConnection({
      host: url.host,
      port: url.port,
      token: options.token,
      tls: url.tls ? (options.tls ?? {}) : undefined,
      maxFrameBytes: this.maxFrameBytes,
      heartbeatMs: options.heartbeatMs ?? 5_000,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
      reconnectInitialMs: options.reconnectInitialMs ?? 100,
      reconnectMaxMs: options.reconnectMaxMs ?? 5_000,
      onPush: (frame) => this.onPush(frame),
      onReconnected: () => this.restore(),
    });
    this.state$ = this.connection.state.asObservable();
  }

  /** Connects and authenticates. */
  static async connect(options: TcpTransportOptions): Promise<TcpTransport> {
    const transport = new TcpTransport(options);
    await transport.connection.open();
    return transport;
  }

  publish(topic: string, bytes: Uint8Array, options: PublishOptions = {}): Promise<void> {
    const tooLarge = this.tooLarge(bytes);
    if (tooLarge !== undefined) return Promise.reject(tooLarge);
    // Not `async`: a publish makes one promise here, not two.
    return this.connection.request((id) => publishFrame(id, topic, bytes, options, options.lazyConfirm ?? false)) as Promise<void>;
  }

  publishRequest(topic: string, bytes: Uint8Array, options: PublishOptions, failed: (error: Error) => void): void {
    const tooLarge = this.tooLarge(bytes);
    if (tooLarge !== undefined) return process.nextTick(failed, tooLarge);
    this.connection.requestFailuresOnly((id) => publishFrame(id, topic, bytes, options, true), failed);
  }

  private tooLarge(bytes: Uint8Array): PayloadTooLargeError | undefined {
    const limit = this.maxFrameBytes - frameOverheadBytes;
    return bytes.length > limit ? PayloadTooLargeError.of(bytes.length, limit) : undefined;
  }

  async consume(topic: string, group: string, onDelivery: (delivery: Delivery) => void, options: ConsumeOptions = {}): Promise<Subscription> {
    const local: LocalSubscription = { id: ++this.nextSubscription, topic, group, onDelivery, options: { prefetch: options.prefetch ?? defaultPrefetch, ordered: options.ordered ?? defaultOrdered } };
    this.subscriptions.set(local.id, local);
    try {
      await this.subscribe(local);
    } catch (error) {
      this.subscriptions.delete(local.id);
      throw error;
    }
    return {
      unsubscribe: async () => {
        if (!this.subscriptions.delete(local.id)) return;
        await this.connection.request((id) => [Op.Unsubscribe, id, local.id]).catch(() => undefined);
      },
    };
  }

  async openReplyQueue(): Promise<ReplyQueue> {
    const { name, secret } = (await this.connection.request((id) => [Op.OpenReplyQueue, id, null, null])) as { name: string; secret: string };
    const local: LocalReplyQueue = { name, secret, stream: new MessageStream() };
    this.replyQueues.set(name, local);
    return {
      get name() {
        return local.name;
      },
      messages: local.stream.messages,
      close: () => {
        if (!this.replyQueues.delete(local.name)) return;
        this.connection.send([Op.CloseReplyQueue, local.name]);
        local.stream.complete();
      },
    };
  }

  reply(queue: string, bytes: Uint8Array): void {
    this.connection.send([Op.Reply, queue, bytes]);
  }

  async declareTopic(topic: string, options: TopicOptions): Promise<void> {
    await this.connection.request((id) => [Op.DeclareTopic, id, topic, { ...options }]);
  }

  async stats(): Promise<BrokerStats> {
    return (await this.connection.request((id) => [Op.Stats, id])) as BrokerStats;
  }

  async browse(topic: string, options: BrowseOptions): Promise<BrowsePage> {
    return readBrowsePage(await this.connection.request((id) => [Op.Browse, id, topic, options.after ?? null, options.limit]));
  }

  async remove(topic: string, ids: readonly string[]): Promise<number> {
    return (await this.connection.request((id) => [Op.Remove, id, topic, [...ids]])) as number;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Reply queues go at once rather than waiting out the broker's grace period.
    for (const queue of this.replyQueues.values()) {
      this.connection.send([Op.CloseReplyQueue, queue.name]);
      queue.stream.complete();
    }
    this.replyQueues.clear();
    this.subscriptions.clear();
    await this.connection.close();
  }

  private async subscribe(local: LocalSubscription): Promise<void> {
    await this.connection.request((id) => [Op.Consume, id, local.id, local.topic, local.group, local.options.prefetch, local.options.ordered]);
  }

  private onPush(frame: DeliveryFrame | ReplyMessageFrame): void {
    if (frame[0] === Op.Delivery) {
      const subscription = this.subscriptions.get(frame[1]);
      if (subscription !== undefined) subscription.onDelivery(new RemoteDelivery(this.connection, subscription.topic, frame));
      return;
    }
    this.replyQueues.get(frame[1])?.stream.push(frame[2]);
  }

  /** After a reconnect: take back reply queues by name, then subscribe again. */
  private async restore(): Promise<void> {
    for (const [name, queue] of [...this.replyQueues]) {
      const restored = (await this.connection.request((id) => [Op.OpenReplyQueue, id, name, queue.secret])) as { name: string; secret: string };
      if (restored.name !== name) {
        // The grace period passed: the queue is new, and replies sent to the old name are lost
        // (their calls time out and retry).
        this.replyQueues.delete(name);
        queue.name = restored.name;
        queue.secret = restored.secret;
        this.replyQueues.set(restored.name, queue);
      }
    }
    for (const local of this.subscriptions.values()) await this.subscribe(local);
  }
}

/** A delivery from the broker; settling it after the connection it came on is gone does nothing. */
class RemoteDelivery implements Delivery {
  readonly partition: number;
  readonly offset: number;
  readonly deliveryCount: number;
  readonly maxDeliveries: number;
  readonly key: string | undefined;
  readonly bytes: Uint8Array;
  private readonly tag: number;
  private readonly generation: number;
  private settled = false;

  constructor(
    private readonly connection: TcpConnection,
    readonly topic: string,
    frame: DeliveryFrame,
  ) {
    this.tag = frame[2];
    this.partition = frame[3];
    this.offset = frame[4];
    this.deliveryCount = frame[5];
    this.maxDeliveries = frame[6];
    this.key = frame[7] ?? undefined;
    this.bytes = frame[8];
    this.generation = connection.generation;
  }

  ack(): void {
    this.settle([Op.Ack, this.tag]);
  }

  nack(options: { delayMs?: number; error?: { code: string; message: string } } = {}): void {
    this.settle([Op.Nack, this.tag, options.delayMs ?? 0, options.error?.code ?? null, options.error?.message ?? null]);
  }

  reject(error: { code: string; message: string }): void {
    this.settle([Op.Reject, this.tag, error.code, error.message]);
  }

  ackWithReply(queue: string, bytes: Uint8Array): void {
    if (this.settled || this.connection.generation !== this.generation) return this.connection.send([Op.Reply, queue, bytes]);
    this.settled = true;
    this.connection.send([Op.ReplyAck, this.tag, queue, bytes]);
  }

  private settle(frame: AckFrame | NackFrame | RejectFrame): void {
    // Tags are per session: after a reconnect the broker has already redelivered this message.
    if (this.settled || this.connection.generation !== this.generation) return;
    this.settled = true;
    this.connection.send(frame);
  }
}

function publishFrame(requestId: number, topic: string, bytes: Uint8Array, options: PublishOptions, lazyConfirm: boolean): PublishFrame {
  return [Op.Publish, requestId, topic, bytes, options.key ?? null, options.expiresAt ?? null, options.requireConsumer ?? false, lazyConfirm, options.durable ?? false];
}

function parseUrl(url: string): { host: string; port: number; tls: boolean } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError(`not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "ferry:" && parsed.protocol !== "ferrys:") throw new InvalidArgumentError(`a broker URL starts with ferry:// or ferrys://, got ${url}`);
  const port = parsed.port === "" ? defaultBrokerPort : Number(parsed.port);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ""), port, tls: parsed.protocol === "ferrys:" };
}
