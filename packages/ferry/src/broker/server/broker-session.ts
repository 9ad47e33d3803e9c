import type { Socket } from "node:net";
import { LiveTable } from "../../core/live-table.js";
import { ErrorCode, FerryError, InvalidArgumentError, QueueFullError } from "../../core/errors.js";
import { toWireError, type WireError } from "../../core/wire/wire-error.js";
import type { Delivery } from "../../core/transport.js";
import type { Broker } from "../broker.js";
import type { Member } from "../group-cursor.js";
import { FrameDecoder } from "../protocol/frame-decoder.js";
import { FrameWriter } from "../protocol/frame-writer.js";
import { hangUp } from "./hang-up.js";
import { ownBytes } from "../protocol/own-bytes.js";
import { decodeFrame, Op, opName, type BrokerFrame, type Frame } from "../protocol/protocol.js";
import { readTopicOptions } from "../read-topic-options.js";
import type { ReplyQueueRegistry } from "./reply-queue-registry.js";

/** What a session needs from the server that accepted it. */
export interface SessionHost {
  readonly broker: Broker;
  readonly replyQueues: ReplyQueueRegistry;
  readonly maxFrameBytes: number;
  readonly maxOutboundBytes: number;
  readonly maxReplyQueuesPerConnection: number;
  /** Longest a lazy publish confirm waits for other traffic to ride with, ms. */
  readonly lazyConfirmMs: number;
  readonly version: string;
  /** Whether `token` opens a session (always true when the broker has no token). */
  authenticate(token: string | null): boolean;
  log(line: string): void;
  closed(session: BrokerSession): void;
}

interface Subscription {
  topic: string;
  group: string;
  member: Member;
}

/**
 * One client connection: decodes its frames, runs them against the broker, and sends back
 * confirms, errors, deliveries and replies. A bad frame closes only this connection, with a
 * `Fatal` frame saying why; the broker and every other connection carry on.
 */
export class BrokerSession {
  private readonly decoder: FrameDecoder;
  private readonly writer: FrameWriter;
  private authenticated = false;
  private readonly authDeadline: NodeJS.Timeout;
  private readonly subscriptions = new Map<number, Subscription>();
  private readonly deliveries = new LiveTable<Delivery>();
  private readonly replyQueues = new Set<string>();
  private nextTag = 0;
  /** Highest request id whose success is confirmed by the next `Confirmed` frame (0: none pending). */
  private confirmThrough = 0;
  private confirmTimer: NodeJS.Timeout | undefined;
  /** Requests answered later (a durable publish awaiting its fsync): none may be confirmed in bulk past them. */
  private answersOutstanding = 0;
  private closed = false;
  private readonly sendReply = (queue: string, bytes: Uint8Array) => this.send([Op.ReplyMessage, queue, bytes]);

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly host: SessionHost,
    private readonly authTimeoutMs: number,
    private readonly idleTimeoutMs: number,
  ) {
    this.decoder = new FrameDecoder(host.maxFrameBytes);
    this.writer = new FrameWriter(socket, () => this.appendConfirmed());
    socket.setNoDelay(true);
    // Until a Hello authenticates it, a connection gets `authTimeoutMs` in all, however it trickles
    // bytes: an absolute deadline, not an inactivity timer.
    this.authDeadline = setTimeout(() => this.fail(`authentication timed out: no Hello within ${authTimeoutMs} ms (authTimeoutMs)`, ErrorCode.Unauthenticated), authTimeoutMs);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => this.close("socket error"));
    socket.on("close", () => this.close("connection closed"));
  }

  private onData(chunk: Buffer): void {
    // A dropped connection is read on only until it closes (see `hangUp`): what it sends is discarded.
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      return this.fail((error as Error).message, (error as FerryError).code ?? ErrorCode.ProtocolError);
    }
    for (const bytes of frames) {
      if (this.closed) return;
      let frame: Frame;
      try {
        frame = decodeFrame(bytes, this.host.maxFrameBytes);
      } catch (error) {
        return this.fail((error as Error).message, ErrorCode.ProtocolError);
      }
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Frame): void {
    if (!this.authenticated) {
      if (frame[0] !== Op.Hello) return this.fail(`the first frame must be Hello, got ${opName(frame[0])}`, ErrorCode.Unauthenticated);
      const token = frame[1];
      if (!this.host.authenticate(token)) {
        // Which of the two it is tells the client's operator what to fix; nothing about the token itself is said.
        return this.fail(token === null || token === "" ? "the broker requires a token and the client sent none" : "the token does not match the broker's", ErrorCode.Unauthenticated);
      }
      this.authenticated = true;
      clearTimeout(this.authDeadline);
      this.socket.setTimeout(this.idleTimeoutMs, () => this.fail(`no frame for ${this.idleTimeoutMs} ms (idleTimeoutMs)`, ErrorCode.IdleTimeout));
      this.host.log(`connection ${this.id} authenticated as ${frame[2]}`);
      return this.send([Op.Welcome, this.host.version]);
    }
    switch (frame[0]) {
      case Op.Publish: return this.answer(frame[1], () =>
        this.host.broker.publish(frame[2], ownBytes(frame[3]), {
          key: frame[4] ?? undefined,
          expiresAt: frame[5] ?? undefined,
          requireConsumer: frame[6],
          durable: frame[8] === true,
        }),
        frame[7] === true,
      );
      case Op.Consume: return this.answer(frame[1], () => this.consume(frame[2], frame[3], frame[4], frame[5], frame[6]));
      case Op.Unsubscribe: return this.answer(frame[1], () => (this.unsubscribe(frame[2]), null));
      case Op.Ack: return this.settle(frame[1], (delivery) => delivery.ack());
      case Op.Nack: return this.settle(frame[1], (delivery) => {
        const code = frame[3];
        delivery.nack({ delayMs: frame[2], ...(code === null ? {} : { error: { code, message: frame[4] ?? "" } }) });
      });
      case Op.Reject: return this.settle(frame[1], (delivery) => delivery.reject({ code: frame[2], message: frame[3] }));
      case Op.OpenReplyQueue: return this.answer(frame[1], () => this.openReplyQueue(frame[2], frame[3]));
      case Op.CloseReplyQueue: {
        const name = frame[1];
        if (this.replyQueues.delete(name)) this.host.replyQueues.close(name);
        return;
      }
      case Op.Reply: return this.host.broker.reply(frame[1], frame[2]);
      case Op.ReplyAck:
        this.host.broker.reply(frame[2], frame[3]);
        return this.settle(frame[1], (delivery) => delivery.ack());
      case Op.DeclareTopic: return this.answer(frame[1], () => (this.host.broker.declareTopic(frame[2], readTopicOptions(frame[3])), null));
      case Op.Stats: return this.answer(frame[1], () => this.host.broker.stats());
      case Op.Browse: return this.answer(frame[1], () => this.host.broker.browse(frame[2], { limit: frame[4], ...(frame[3] === null ? {} : { after: frame[3] }) }));
      case Op.Remove: return this.answer(frame[1], () => this.host.broker.remove(frame[2], frame[3] as string[]));
      case Op.Ping: return this.send([Op.Pong]);
      case Op.Hello: return this.fail("Hello sent twice", ErrorCode.ProtocolError);
      default: return this.fail(`frame ${opName(frame[0])} is not for the broker`, ErrorCode.ProtocolError);
    }
  }

  /**
   * Runs a request and answers it with `Ok` and its result, or `Error` and the typed error. A
   * promise (a durable publish waiting for its fsync) is answered when it settles. A `lazy`
   * success with nothing outstanding before it is left to the next `Confirmed` frame, which
   * rides with the next batch this connection sends (its replies, typically): one frame and one
   * wake-up of the client fewer per batch.
   */
  private answer(requestId: number, run: () => unknown, lazy = false): void {
    let result: unknown;
    try {
      result = run();
    } catch (error) {
      return this.send([Op.Error, requestId, toWireError(error)]);
    }
    if (result instanceof Promise) {
      this.answersOutstanding++;
      result.then(
        (value: unknown) => this.send([Op.Ok, requestId, value ?? null]),
        (error: unknown) => this.send([Op.Error, requestId, toWireError(error)]),
      ).finally(() => this.answersOutstanding--);
      return;
    }
    if (lazy && result === undefined && this.answersOutstanding === 0) return this.confirmLater(requestId);
    this.send([Op.Ok, requestId, result ?? null]);
  }

  private confirmLater(requestId: number): void {
    this.confirmThrough = requestId;
    this.confirmTimer ??= setTimeout(() => this.writer.flush(), this.host.lazyConfirmMs);
  }

  private appendConfirmed(): void {
    if (this.confirmThrough === 0) return;
    this.writer.append([Op.Confirmed, this.confirmThrough]);
    this.confirmThrough = 0;
    clearTimeout(this.confirmTimer);
    this.confirmTimer = undefined;
  }

  /**
   * The client picks the subscription id, so deliveries that overtake the `Ok` (the backlog is
   * pushed at once) already carry an id it knows.
   */
  private consume(subscriptionId: number, topic: string, group: string, prefetch: number, ordered: boolean): number {
    if (this.subscriptions.has(subscriptionId)) throw new InvalidArgumentError(`subscription ${subscriptionId} already exists on this connection`);
    const member = this.host.broker.join(topic, group, (delivery) => this.deliver(subscriptionId, delivery), { prefetch, ordered });
    this.subscriptions.set(subscriptionId, { topic, group, member });
    return subscriptionId;
  }

  private deliver(subscriptionId: number, delivery: Delivery): void {
    const tag = ++this.nextTag;
    this.deliveries.set(tag, delivery);
    this.send([Op.Delivery, subscriptionId, tag, delivery.partition, delivery.offset, delivery.deliveryCount, delivery.maxDeliveries, delivery.key ?? null, delivery.bytes]);
  }

  /** Acks and nacks for unknown tags (settled already, or from before a reconnect) are ignored. */
  private settle(tag: number, settle: (delivery: Delivery) => void): void {
    const delivery = this.deliveries.take(tag);
    if (delivery !== undefined) settle(delivery);
  }

  private unsubscribe(subscriptionId: number): void {
    const subscription = this.subscriptions.get(subscriptionId);
    if (subscription === undefined) return;
    this.subscriptions.delete(subscriptionId);
    this.host.broker.leave(subscription.topic, subscription.group, subscription.member);
  }

  /** Opens a reply queue, or takes one back after a reconnect; answers `{ name, secret }`. */
  private openReplyQueue(name: string | null, secret: string | null): { name: string; secret: string } {
    if (this.replyQueues.size >= this.host.maxReplyQueuesPerConnection) {
      throw new QueueFullError(`a connection may hold ${this.host.maxReplyQueuesPerConnection} reply queues`);
    }
    if (name !== null && secret !== null && this.host.replyQueues.reattach(name, secret, this.sendReply)) {
      this.replyQueues.add(name);
      return { name, secret };
    }
    const opened = this.host.replyQueues.open(this.sendReply);
    this.replyQueues.add(opened.name);
    return opened;
  }

  private send(frame: BrokerFrame): void {
    if (this.closed) return;
    this.writer.send(frame);
    // A reader that stops reading is cut off rather than allowed to grow the broker's memory.
    if (this.writer.bufferedBytes > this.host.maxOutboundBytes) {
      this.fail(`outbound buffer passed ${this.host.maxOutboundBytes} bytes: the client is not reading`, ErrorCode.SlowConsumer);
    }
  }

  /**
   * Closes this connection after telling the client why. The socket is destroyed within
   * `authTimeoutMs`, even if the client keeps its end open or has stopped reading.
   */
  private fail(reason: string, code: string): void {
    if (this.closed) return;
    this.host.log(`connection ${this.id} protocol error ${code}: ${reason}`);
    const error: WireError = { code, message: reason, retryable: false };
    this.writer.send([Op.Fatal, error]);
    this.writer.flush();
    hangUp(this.socket, this.authTimeoutMs);
    this.close(reason);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.authDeadline);
    clearTimeout(this.confirmTimer);
    for (const id of [...this.subscriptions.keys()]) this.unsubscribe(id);
    this.deliveries.clear();
    for (const name of this.replyQueues) this.host.replyQueues.detach(name);
    this.replyQueues.clear();
    this.host.log(`connection ${this.id} closed: ${reason}`);
    this.host.closed(this);
    if (!this.socket.destroyed && this.socket.writableEnded === false) this.socket.destroy();
  }
}

