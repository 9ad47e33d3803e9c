import { BehaviorSubject, type Observable } from "rxjs";
import { MessageStream } from "../../core/message-stream.js";
import { defaultOrdered, defaultPrefetch } from "../../core/defaults.js";
import { ClosedError } from "../../core/errors.js";
import {
  confirmed,
  type BrokerStats,
  type BrowseOptions,
  type BrowsePage,
  type ConnectionState,
  type ConsumeOptions,
  type Delivery,
  type PublishOptions,
  type ReplyQueue,
  type Subscription,
  type TopicOptions,
  type Transport,
} from "../../core/transport.js";
import { Broker } from "../../broker/broker.js";
import { readTopicOptions } from "../../broker/read-topic-options.js";

/**
 * A connection to a `Broker` in the same process: no sockets, no copies. Bytes are handed over
 * by reference, so the encoding cost of every hop is still paid (envelopes are encoded and
 * decoded exactly as over the wire) but nothing is serialized twice.
 */
export class InProcessTransport implements Transport {
  private readonly subscriptions = new Set<Subscription>();
  private readonly replyQueues = new Set<ReplyQueue>();
  private readonly state = new BehaviorSubject<ConnectionState>("connected");
  readonly state$: Observable<ConnectionState> = this.state.asObservable();
  private closed = false;

  constructor(readonly broker: Broker) {}

  publish(topic: string, bytes: Uint8Array, options?: PublishOptions): Promise<void> {
    try {
      this.ensureOpen();
      return this.broker.publish(topic, bytes, options) ?? confirmed;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async consume(topic: string, group: string, onDelivery: (delivery: Delivery) => void, options: ConsumeOptions = {}): Promise<Subscription> {
    this.ensureOpen();
    const member = this.broker.join(topic, group, onDelivery, { prefetch: options.prefetch ?? defaultPrefetch, ordered: options.ordered ?? defaultOrdered });
    const subscription: Subscription = {
      unsubscribe: async () => {
        if (!this.subscriptions.delete(subscription)) return;
        this.broker.leave(topic, group, member);
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async openReplyQueue(): Promise<ReplyQueue> {
    this.ensureOpen();
    const stream = new MessageStream<Uint8Array>();
    const name = this.broker.openReplyQueue((bytes) => stream.push(bytes));
    const queue: ReplyQueue = {
      name,
      messages: stream.messages,
      close: () => {
        if (!this.replyQueues.delete(queue)) return;
        this.broker.closeReplyQueue(name);
        stream.complete();
      },
    };
    this.replyQueues.add(queue);
    return queue;
  }

  reply(queue: string, bytes: Uint8Array): void {
    if (!this.closed) this.broker.reply(queue, bytes);
  }

  async declareTopic(topic: string, options: TopicOptions): Promise<void> {
    this.ensureOpen();
    // Checked here as the TCP broker checks a DeclareTopic frame: plain JavaScript may pass anything.
    this.broker.declareTopic(topic, readTopicOptions(options));
  }

  async stats(): Promise<BrokerStats> {
    return this.broker.stats();
  }

  async browse(topic: string, options: BrowseOptions): Promise<BrowsePage> {
    this.ensureOpen();
    return this.broker.browse(topic, options);
  }

  async remove(topic: string, ids: readonly string[]): Promise<number> {
    this.ensureOpen();
    return this.broker.remove(topic, ids);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const subscription of [...this.subscriptions]) await subscription.unsubscribe();
    for (const queue of [...this.replyQueues]) queue.close();
    this.state.next("closed");
    this.state.complete();
  }

  private ensureOpen(): void {
    if (this.closed) throw new ClosedError("the transport is closed");
  }
}
