import { initialStreamCredit } from "../defaults.js";
import type { Validator } from "../definition.js";
import {
  asFerryError,
  CancelledError,
  DeadlineExceededError,
  InternalError,
  ProtocolError,
  TimeoutError,
  UnavailableError,
  UnconfirmedError,
} from "../errors.js";
import type { ReplyTarget } from "../reply-router.js";
import type { AttemptObserver, CallHost } from "../pending-call.js";
import { decodeValue } from "../wire/codec.js";
import { encodeEnvelope, MessageKind, type Envelope } from "../wire/envelope.js";
import { fromWireError } from "../wire/wire-error.js";
import { decodeItemBatch } from "./item-batch.js";
import { ItemQueue } from "./item-queue.js";

/** What one stream needs from its client: what a call needs, but its own `finished`. */
export interface StreamHost extends Pick<CallHost, "clock" | "replyQueue" | "decodeLimits" | "errorClasses" | "publishRequest" | "reply"> {
  /** The stream needs no more messages: its router entry and its open-stream slot go. */
  finished(call: StreamCall<unknown>): void;
}

/** A stream's fixed facts, decided before its request is sent. */
export interface StreamPlan {
  topic: string;
  service: string;
  method: string;
  callId: string;
  correlationId: string;
  key: string | undefined;
  headers: Record<string, string> | undefined;
  body: Uint8Array | undefined;
  /** Most items the server may send ahead of the consumer. */
  window: number;
  /** Bytes of items the server may send ahead of the consumer, by the average item size so far. */
  windowBytes: number;
  /** Longest wait for the next item once the consumer asked for it, ms. */
  itemTimeoutMs: number;
  /** Absolute end of the whole stream (epoch ms), or undefined for none. */
  deadline: number | undefined;
  heartbeatMs: number;
  signal: AbortSignal | undefined;
  validateItem: Validator | undefined;
  /**
   * Told when the request is sent (it returns the headers to send) and when the stream ends, as
   * the one attempt of an intercepted call: only when the client has interceptors.
   */
  attempts?: AttemptObserver;
}

/** A caller that hears nothing from its server for this many heartbeats fails the stream. */
const missedHeartbeats = 3;

/**
 * One iteration of a stream, from its request to its end: the caller's side of the protocol.
 *
 * Items arrive numbered from 0 and wait in a queue until the consumer takes them. The server may
 * send only as many items as it was granted (the credit, cumulative). How far ahead it may go is
 * the window: as many items as `windowBytes` holds at the average size received so far, at least
 * 1 and at most `window` (the request, which knows no size yet, grants `initialStreamCredit`).
 * Each time the consumer has taken half of it, the credit moves to what it has taken plus the
 * window. So the server is never more than a window ahead of the consumer, and the queue never
 * holds more than a window.
 *
 * It ends once: by the server's `StreamEnd` (after the items before it have been taken), by a
 * local failure (a gap, a silent server, the item timeout, the deadline), or by the consumer
 * (`return()` from a `break`, or its signal). A local end tells the server to stop with a `Cancel`.
 */
export class StreamCall<Item> implements ReplyTarget, AsyncIterator<Item> {
  private readonly items = new ItemQueue<Item>();
  /** Items received, which is the number the next one must carry. */
  private received = 0;
  private consumed = 0;
  /** How many items in all the server may have sent. */
  private granted: number;
  /** What the request granted. */
  private readonly initialCredit: number;
  /** Bytes of the items received (of their encodings): with `received`, their average size. */
  private receivedBytes = 0;
  /** The consumer's outcome once decided: done (undefined error) or this error. */
  private outcome: { error: Error | undefined } | undefined;
  /** The router entry and timers are gone. */
  private finishedAll = false;
  /** A consumer waiting in `next()` for an item. */
  private waiter: { resolve: (result: IteratorResult<Item>) => void; reject: (error: Error) => void } | undefined;
  /** The server's control queue, learned from its `Started`: where credits and `Cancel` go. */
  private controlQueue: string | undefined;
  /** Ended locally before the server said where to send a `Cancel`: send it when it does. */
  private cancelOnStart = false;
  private lastHeardAt = 0;
  private lastSentAt = 0;
  private heartbeatTimer: unknown;
  private itemTimer: unknown;
  /** When the consumer started waiting in `next()`: the item timeout counts from here. */
  private waitingSince = 0;
  private deadlineTimer: unknown;
  private onAbort: (() => void) | undefined;

  constructor(
    private readonly plan: StreamPlan,
    private readonly host: StreamHost,
  ) {
    this.initialCredit = Math.min(plan.window, initialStreamCredit);
    this.granted = this.initialCredit;
  }

  get correlationId(): string {
    return this.plan.correlationId;
  }

  /** Its outcome is decided: ended, failed, or stopped by its consumer. */
  get over(): boolean {
    return this.outcome !== undefined;
  }

  /** Items received from the server so far. */
  get itemsReceived(): number {
    return this.received;
  }

  private get label(): string {
    return `${this.plan.service}.${this.plan.method}`;
  }

  /** Sends the request; `now` is the clock's time, read once by the caller. */
  start(now: number): void {
    const { signal, deadline } = this.plan;
    this.lastHeardAt = now;
    this.lastSentAt = now;
    if (signal !== undefined) {
      if (signal.aborted) return this.end(new CancelledError("the stream was cancelled before it was sent"), false);
      this.onAbort = () => this.end(cancelled(signal), false);
      signal.addEventListener("abort", this.onAbort, { once: true });
    }
    if (deadline !== undefined) {
      if (deadline <= now) return this.end(new DeadlineExceededError(`the deadline of ${this.label} passed before it was sent`), false);
      this.deadlineTimer = this.host.clock.setTimeout(() => this.end(new DeadlineExceededError(`the deadline of ${this.label} passed`), false), deadline - now);
    }
    const messageId = `${this.plan.callId}:1`;
    const headers = this.plan.attempts === undefined ? this.plan.headers : this.plan.attempts.sent(1, messageId, deadline ?? Infinity);
    const request: Envelope = {
      kind: MessageKind.Request,
      id: this.plan.callId,
      correlationId: this.plan.correlationId,
      replyTo: this.host.replyQueue,
      service: this.plan.service,
      method: this.plan.method,
      key: this.plan.key,
      deadline,
      attempt: 1,
      cancellable: true,
      headers,
      body: this.plan.body,
      sequence: this.initialCredit,
    };
    // The first item must come within the item timeout: a request still queued after it is dropped.
    const expiresAt = Math.min(now + this.plan.itemTimeoutMs, deadline ?? Infinity);
    this.host.publishRequest(
      this.plan.topic,
      encodeEnvelope(request),
      { key: this.plan.key, expiresAt, requireConsumer: true, durable: false, messageId, lazyConfirm: true },
      (error) => {
        // The request may have arrived: its items, the item timeout or the heartbeat decide.
        if (!(error instanceof UnconfirmedError)) this.end(asFerryError(error, `publishing a stream request to ${this.plan.topic}`), false);
      },
    );
    this.armHeartbeat();
  }

  [Symbol.asyncIterator](): AsyncIterator<Item> {
    return this;
  }

  next(): Promise<IteratorResult<Item>> {
    if (!this.items.isEmpty) return Promise.resolve({ value: this.take(), done: false });
    if (this.outcome !== undefined) {
      return this.outcome.error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.outcome.error);
    }
    if (this.waiter !== undefined) return Promise.reject(new InternalError(`${this.label}: next() was called while an earlier next() was pending`));
    const waiting = new Promise<IteratorResult<Item>>((resolve, reject) => (this.waiter = { resolve, reject }));
    this.waitingSince = this.host.clock.now();
    if (this.itemTimer === undefined) this.armItemTimer(this.plan.itemTimeoutMs);
    return waiting;
  }

  /**
   * One timer for the item timeout, left armed between items and moved only when it fires: a
   * clock timer set and cleared for every item was about 5% of an in-process stream's CPU time
   * (timers' insert and unenroll, in a profile of 200,000 items of 100 B).
   */
  private armItemTimer(delayMs: number): void {
    this.itemTimer = this.host.clock.setTimeout(() => {
      this.itemTimer = undefined;
      if (this.waiter === undefined) return;
      const remainingMs = this.waitingSince + this.plan.itemTimeoutMs - this.host.clock.now();
      if (remainingMs > 0) return this.armItemTimer(remainingMs);
      this.end(new TimeoutError(`no item from ${this.label} within ${this.plan.itemTimeoutMs} ms`), false);
    }, delayMs);
  }

  /** The consumer stopped (a `break` out of `for await`): stop the server, and end quietly. */
  return(): Promise<IteratorResult<Item>> {
    this.end(new CancelledError(`the consumer of ${this.label} stopped iterating`), false, true, true);
    this.outcome = { error: undefined };
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Takes the next queued item and grants more credit once half a window has been taken. */
  private take(): Item {
    const item = this.items.shift();
    this.consumed++;
    if (this.outcome === undefined) {
      const window = this.window();
      // Items that grew larger shrink the window: the credit, cumulative, then waits to be reached.
      if (this.granted - this.consumed <= window >> 1 && this.consumed + window > this.granted) {
        this.granted = this.consumed + window;
        this.sendCredit();
      }
    }
    return item;
  }

  /** Items the server may run ahead: what `windowBytes` holds at the average size so far, from 1 to `window`. */
  private window(): number {
    if (this.receivedBytes === 0) return this.initialCredit;
    const fit = Math.floor((this.plan.windowBytes * this.received) / this.receivedBytes);
    return Math.max(1, Math.min(this.plan.window, fit));
  }

  onMessage(envelope: Envelope): void {
    const now = this.host.clock.now();
    this.lastHeardAt = now;
    switch (envelope.kind) {
      case MessageKind.Started:
        this.controlQueue = envelope.replyTo;
        if (this.cancelOnStart) return this.cancelServer();
        if (this.granted > this.initialCredit) this.sendCredit();
        return;
      case MessageKind.Heartbeat:
        return;
      case MessageKind.StreamItem:
      case MessageKind.StreamItems:
        return this.onItems(envelope);
      case MessageKind.StreamEnd:
        if (envelope.error !== undefined) return this.end(fromWireError(envelope.error, this.host.errorClasses), true, false);
        if (envelope.sequence !== this.received) {
          return this.end(new ProtocolError(`${this.label} ended after ${String(envelope.sequence)} items, but ${this.received} arrived: the stream has a gap`), true);
        }
        return this.end(undefined, true, false);
      default:
        // A single reply: the server refused the request before its stream began (unknown
        // method, invalid request), or it does not serve the method as a stream.
        if (envelope.error !== undefined) return this.end(fromWireError(envelope.error, this.host.errorClasses), true, false);
        return this.end(new ProtocolError(`${this.label} answered with a single reply: the server does not serve it as a stream`), true, false);
    }
  }

  /** A `StreamItem`, or a `StreamItems` batch: checked whole (numbering, credit, contract) before any of it is queued. */
  private onItems(envelope: Envelope): void {
    const sequence = envelope.sequence;
    if (sequence !== this.received) {
      return this.end(new ProtocolError(`item ${String(sequence)} of ${this.label} arrived where item ${this.received} was due: the stream has a gap`), true);
    }
    const batch = envelope.kind === MessageKind.StreamItems;
    let items: unknown[];
    try {
      items = batch ? decodeItemBatch(envelope.body, this.host.decodeLimits) : [envelope.body === undefined ? undefined : decodeValue(envelope.body, this.host.decodeLimits)];
    } catch (error) {
      return this.end(asFerryError(error, `decoding item ${sequence}${batch ? " and those after it" : ""} of ${this.label}`), true);
    }
    const last = sequence + items.length - 1;
    if (last >= this.granted) {
      return this.end(new ProtocolError(`item ${last} of ${this.label} is beyond the credit of ${this.granted} items the server was given`), true);
    }
    // Items up to the first one outside its contract are queued; that one ends the stream after them.
    let good = 0;
    let invalid: Error | undefined;
    for (; good < items.length; good++) {
      const issues = this.plan.validateItem?.(items[good]);
      if (issues === undefined || issues.length === 0) continue;
      const detail = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
      invalid = new InternalError(`item ${sequence + good} of ${this.label} is outside its contract: ${detail}`, { data: { issues } });
      break;
    }
    for (let index = 0; index < good; index++) this.items.push(items[index] as Item);
    this.received += good;
    this.receivedBytes += ((envelope.body?.length ?? 1) * good) / items.length;
    const waiter = this.waiter;
    if (waiter !== undefined && good > 0) {
      this.waiter = undefined;
      waiter.resolve({ value: this.take(), done: false });
    }
    if (invalid !== undefined) this.end(invalid, true);
  }

  /**
   * Decides the consumer's outcome: done (`error` undefined) or `error`. With `afterItems`, the
   * items already received are taken first; otherwise they are dropped. `stopServer`: the server
   * is still producing and must be told to stop. `byConsumer`: the consumer stopped (`break`),
   * which its observers see as a success.
   */
  private end(error: Error | undefined, afterItems: boolean, stopServer = true, byConsumer = false): void {
    if (this.outcome !== undefined) return;
    this.outcome = { error };
    this.plan.attempts?.ended(1, byConsumer ? undefined : error);
    if (!afterItems) this.items.clear();
    this.clearItemTimer();
    if (stopServer && this.controlQueue !== undefined) this.cancelServer();
    else if (stopServer) {
      // The server has not said where it runs: keep listening (until the item timeout) so its
      // `Started` still gets a `Cancel`.
      this.cancelOnStart = true;
      this.clearTimers();
      this.heartbeatTimer = this.host.clock.setTimeout(() => this.finish(), this.plan.itemTimeoutMs);
    } else this.finish();
    const waiter = this.waiter;
    if (waiter === undefined || !this.items.isEmpty) return;
    this.waiter = undefined;
    if (error === undefined) waiter.resolve({ value: undefined, done: true });
    else waiter.reject(error);
  }

  private cancelServer(): void {
    this.host.reply(this.controlQueue!, encodeEnvelope({ kind: MessageKind.Cancel, id: this.plan.callId, correlationId: this.plan.correlationId }));
    this.finish();
  }

  /** Closing the client: fail now. */
  fail(error: Error): void {
    this.end(error, false, false);
    this.finish();
  }

  private sendCredit(): void {
    if (this.controlQueue === undefined) return;
    this.lastSentAt = this.host.clock.now();
    this.host.reply(
      this.controlQueue,
      encodeEnvelope({ kind: MessageKind.Credit, id: this.plan.callId, correlationId: this.plan.correlationId, sequence: this.granted }),
    );
  }

  /** Every heartbeat: fail a silent server, else ping it if nothing else was sent lately. */
  private armHeartbeat(): void {
    this.heartbeatTimer = this.host.clock.setTimeout(() => {
      const now = this.host.clock.now();
      const silentMs = now - this.lastHeardAt;
      if (silentMs >= missedHeartbeats * this.plan.heartbeatMs) {
        return this.end(new UnavailableError(`${this.label} sent nothing for ${silentMs} ms: its server stopped or is unreachable`), true);
      }
      if (now - this.lastSentAt >= this.plan.heartbeatMs) this.sendCredit();
      this.armHeartbeat();
    }, this.plan.heartbeatMs);
  }

  private clearItemTimer(): void {
    if (this.itemTimer === undefined) return;
    this.host.clock.clearTimeout(this.itemTimer);
    this.itemTimer = undefined;
  }

  private clearTimers(): void {
    this.clearItemTimer();
    if (this.heartbeatTimer !== undefined) this.host.clock.clearTimeout(this.heartbeatTimer);
    if (this.deadlineTimer !== undefined) this.host.clock.clearTimeout(this.deadlineTimer);
    this.heartbeatTimer = undefined;
    this.deadlineTimer = undefined;
  }

  /** No more messages are needed: timers, the abort listener and the router entry go. */
  private finish(): void {
    if (this.finishedAll) return;
    this.finishedAll = true;
    this.clearTimers();
    if (this.onAbort !== undefined) this.plan.signal?.removeEventListener("abort", this.onAbort);
    this.onAbort = undefined;
    this.host.finished(this as StreamCall<unknown>);
  }
}

function cancelled(signal: AbortSignal): CancelledError {
  const reason: unknown = signal.reason;
  return new CancelledError(reason instanceof Error ? reason.message : "the stream was cancelled", { cause: reason });
}
