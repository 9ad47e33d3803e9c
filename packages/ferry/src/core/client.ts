import type { Subscription as RxSubscription } from "rxjs";
import { checkMethod, checkOptions } from "./call-arguments.js";
import { newCallId } from "./call-id.js";
import { CallTimers } from "./call-timers.js";
import { backoffDelay, type BackoffOptions } from "./backoff.js";
import { systemClock, type Clock } from "./clock.js";
import { defaultDecodeLimits, type DecodeLimits } from "./wire/codec.js";
import { encodeRequest, eventMessage, mergeHeaders, type EventMessage } from "./event-message.js";
import { currentContext } from "./context.js";
import type { MethodDefinition, StreamMethodDefinition } from "./definition.js";
import { defaultMaxOpenStreams, defaultStreamHeartbeatMs, defaultStreamWindow, defaultStreamWindowBytes } from "./defaults.js";
import { FerryStream, type StreamOptions } from "./stream/ferry-stream.js";
import { StreamCall, type StreamHost, type StreamPlan } from "./stream/stream-call.js";
import { interceptStream } from "./stream/intercepted-stream.js";
import { checkStreamWindow, checkStreamWindowBytes } from "./stream/stream-window.js";
import { encodeEnvelope, MessageKind, type Envelope } from "./wire/envelope.js";
import { errorClasses, type ErrorClass, type ErrorClasses } from "./error-registry.js";
import { asFerryError, ClosedError, InvalidArgumentError, QueueFullError } from "./errors.js";
import { captureCallerStack } from "./caller-stack.js";
import { checkInterceptors, runChain, type ClientInterceptor } from "./interceptors.js";
import { InterceptedCall } from "./outgoing-call.js";
import { interceptEvent, type EventPlan } from "./intercepted-event.js";
import { PendingCall, type CallHost, type CallPlan } from "./pending-call.js";
import { correlationIdOf, ReplyRouter, type ReplyTarget } from "./reply-router.js";
import { serviceTopic } from "./topics.js";
import { confirmed, type ReplyQueue, type Transport } from "./transport.js";

export interface ClientOptions {
  /** Default 10,000 ms (`defaultCallTimeoutMs`): the per-attempt timeout of calls that set none (and whose method sets none). */
  defaultTimeoutMs?: number;
  /** Calls in flight at once; one more fails at once with `QUEUE_FULL`. Default 50,000 (`defaultMaxPendingCalls`). */
  maxPendingCalls?: number;
  /** Backoff between retries, unless a call sets its own. */
  backoff?: BackoffOptions;
  /** Limits on decoding replies. Default 1 MiB, depth 64. */
  decodeLimits?: DecodeLimits;
  /**
   * Check each reply with its method's `validateResponse` (generated from the interface), and
   * refuse one that breaks the contract with `INTERNAL`, naming the path. Default false: it costs
   * a validation per reply; turn it on in development and tests.
   */
  validateResponses?: boolean;
  /**
   * The application's error classes. A handler's error whose `name` is one of these class names
   * is rebuilt as an instance of that class (without calling its constructor), with its message,
   * code, retryable, data and own fields, so `instanceof` holds on the caller. Default: none;
   * such errors arrive as `RemoteError`, with the same name and fields.
   */
  errors?: readonly ErrorClass[];
  /**
   * Wrap every outgoing call, first to last, around the sending of its request (see
   * `ClientInterceptor`). Default: none, and a call then goes straight to its first attempt.
   * Events (`emit`) and the opening of streams pass through them too (`OutgoingCall.kind`).
   */
  interceptors?: readonly ClientInterceptor[];
  /**
   * Append the stack of the line that made a call to its failure (a `TimeoutError` then shows
   * where the call was made, not the timer that fired). Default false: capturing a stack on every
   * call costs more than the rest of an in-process call (README, "Caller stacks"); turn it on in
   * development and tests.
   */
  callerStacks?: boolean;
  clock?: Clock;
  /** Credit window of streams that set none: most items a server may send ahead of the consumer. Default 1,024 (`defaultStreamWindow`). */
  streamWindow?: number;
  /** Byte budget of streams that set none: bytes of items a server may send ahead of the consumer. Default 1 MiB (`defaultStreamWindowBytes`). */
  streamWindowBytes?: number;
  /** Streams iterated at once; one more fails at once with `QUEUE_FULL`. Default 1,000 (`defaultMaxOpenStreams`). */
  maxOpenStreams?: number;
  /**
   * A stream pings its server when it has sent nothing for this long, and fails with `UNAVAILABLE`
   * after three of these without a word from the server, ms. Default 5,000 (`defaultStreamHeartbeatMs`).
   */
  streamHeartbeatMs?: number;
}

export interface CallOptions {
  /** Per-attempt timeout, ms. Default: the method's `@timeout`, else the client's `defaultTimeoutMs`. */
  timeoutMs?: number;
  /** Absolute deadline (epoch ms) across all attempts. Default: enough for every attempt and backoff. */
  deadline?: number;
  /** Retries after a retryable failure (timeout, no responders, queue full, unavailable). Default: the method's `@retries`, else 0. */
  retries?: number;
  backoff?: BackoffOptions;
  /** Partition and ordering key. Default: the method's `@key` field of the request. */
  key?: string;
  /**
   * Deduplicates on the server: one execution per key, later requests replay its reply. Default:
   * the call id (shared by every attempt of the call) when the call may retry or the method is
   * `@idempotent`; otherwise none, and the request skips the idempotency store.
   */
  idempotencyKey?: string;
  headers?: Record<string, string>;
  /** Aborting rejects the call with `CANCELLED` and aborts the handler's signal on the server. */
  signal?: AbortSignal;
}

export interface EmitOptions {
  key?: string;
  idempotencyKey?: string;
  headers?: Record<string, string>;
}

export interface ClientStats {
  /** Calls waiting for an outcome. */
  pending: number;
  /** Calls waiting on a timer: an attempt timeout, a backoff, or a cancelled call waiting for its late start. */
  timers: number;
  /** Replies for no pending call (late or duplicate). */
  unknownReplies: number;
  malformedReplies: number;
  /** Streams being iterated (each is also counted in `pending`). */
  openStreams: number;
}

/**
 * Per-attempt timeout of a call that sets none, whose method sets none, in a runtime that sets
 * none, ms. A lost request or reply (a crashed server, a dropped link) costs its caller this long
 * before a retry, or before the error.
 */
export const defaultCallTimeoutMs = 10_000;

/**
 * Calls in flight per runtime; one more fails at once with `QUEUE_FULL`. Each pending call holds
 * its request, a timer and a table entry until its reply or timeout: the bound keeps a caller
 * whose broker or servers stopped answering from growing without limit.
 */
export const defaultMaxPendingCalls = 50_000;

/**
 * Whether calls capture their caller's stack unless the runtime says. Off: the capture is a stack
 * walk per call, which the bench measures at more than the rest of an in-process call.
 */
export const defaultCallerStacks = false;

/**
 * The caller's side: one reply queue per client, a table from correlation id to pending call,
 * timeouts, retries within the deadline, cancellation. Generated stubs call `call`.
 */
export class RpcClient {
  private readonly clock: Clock;
  private readonly defaultTimeoutMs: number;
  private readonly maxPendingCalls: number;
  private readonly backoff: BackoffOptions | undefined;
  private readonly decodeLimits: DecodeLimits;
  private readonly validateResponses: boolean;
  private readonly errorClasses: ErrorClasses | undefined;
  private readonly interceptors: readonly ClientInterceptor[];
  private readonly callerStacks: boolean;
  private readonly router: ReplyRouter;
  private readonly timers: CallTimers;
  private replyQueue: ReplyQueue | undefined;
  private routing: RxSubscription | undefined;
  private host: CallHost | undefined;
  private nextCorrelation = 0;
  private closed = false;
  private readonly streamWindow: number;
  private readonly streamWindowBytes: number;
  private readonly maxOpenStreams: number;
  private readonly streamHeartbeatMs: number;
  private openStreams = 0;
  private streamHost: StreamHost | undefined;

  constructor(
    private readonly transport: Transport,
    options: ClientOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.defaultTimeoutMs = checkPositive("defaultTimeoutMs", options.defaultTimeoutMs ?? defaultCallTimeoutMs);
    this.maxPendingCalls = checkCount("maxPendingCalls", options.maxPendingCalls ?? defaultMaxPendingCalls, 1);
    this.backoff = options.backoff;
    this.decodeLimits = options.decodeLimits ?? defaultDecodeLimits;
    this.validateResponses = options.validateResponses ?? false;
    this.errorClasses = errorClasses(options.errors);
    this.interceptors = checkInterceptors(options.interceptors, "connect");
    this.callerStacks = options.callerStacks ?? defaultCallerStacks;
    this.router = new ReplyRouter(this.decodeLimits);
    this.timers = new CallTimers(this.clock);
    this.streamWindow = checkStreamWindow(options.streamWindow ?? defaultStreamWindow, "streamWindow");
    this.streamWindowBytes = checkStreamWindowBytes(options.streamWindowBytes ?? defaultStreamWindowBytes, "streamWindowBytes");
    this.maxOpenStreams = checkCount("maxOpenStreams", options.maxOpenStreams ?? defaultMaxOpenStreams, 1);
    this.streamHeartbeatMs = checkPositive("streamHeartbeatMs", options.streamHeartbeatMs ?? defaultStreamHeartbeatMs);
  }

  /** Opens the reply queue; calls fail with `CLOSED` until it has resolved (`connect()` awaits it). */
  async start(): Promise<void> {
    if (this.host !== undefined) return;
    const queue = await this.transport.openReplyQueue();
    this.replyQueue = queue;
    this.routing = queue.messages.subscribe((bytes) => this.router.route(bytes));
    this.host = {
      clock: this.clock,
      // Read on every attempt: a transport may rename its queue after a long reconnect.
      get replyQueue() {
        return queue.name;
      },
      decodeLimits: this.decodeLimits,
      errorClasses: this.errorClasses,
      publishRequest: this.requestPublisher(),
      reply: (to, bytes) => this.transport.reply(to, bytes),
      timers: this.timers,
      finished: (call) => this.router.remove(call.correlationId),
    };
    const host = this.host;
    this.streamHost = {
      clock: host.clock,
      get replyQueue() {
        return host.replyQueue;
      },
      decodeLimits: host.decodeLimits,
      errorClasses: host.errorClasses,
      publishRequest: host.publishRequest,
      reply: host.reply,
      finished: (call) => {
        this.router.remove(call.correlationId);
        this.openStreams--;
      },
    };
  }

  /** The transport's promise-free `publishRequest`, or one made of `publish` for a transport without it. */
  private requestPublisher(): CallHost["publishRequest"] {
    const transport = this.transport;
    if (transport.publishRequest !== undefined) return transport.publishRequest.bind(transport);
    return (topic, bytes, options, failed) => {
      const confirmation = transport.publish(topic, bytes, options);
      if (confirmation !== confirmed) confirmation.catch(failed);
    };
  }

  /** Calls `method` and resolves with its response, or rejects with a `FerryError`. */
  call<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, options: CallOptions = {}): Promise<Res> {
    if (this.closed) return Promise.reject(new ClosedError("the client is closed"));
    const host = this.host;
    if (host === undefined) return Promise.reject(new ClosedError("the client is not started"));
    if (this.router.size >= this.maxPendingCalls) {
      return Promise.reject(new QueueFullError(`${this.router.size} calls are pending, the client's maxPendingCalls`));
    }
    // Read once: the deadline, the first attempt's timeout and its timer all start here.
    const now = this.clock.now();
    let plan: CallPlan;
    try {
      plan = this.plan(method, request, options, now);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.interceptors.length === 0) return this.send(plan, host, now) as Promise<Res>;
    return runChain(this.interceptors, new InterceptedCall(plan, request), () => this.send(plan, host, this.clock.now())) as Promise<Res>;
  }

  /** Starts the call's first attempt; resolves with its outcome. */
  private send(plan: CallPlan, host: CallHost, now: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new ClosedError("the client is closed"));
    const call = new PendingCall(plan, host);
    this.router.add(plan.correlationId, call);
    call.start(now);
    return call.promise;
  }

  /**
   * A stream method's reply: each `for await` over the result sends one request and iterates its
   * items with flow control (README "Streaming replies"). Checked here; opening fails the first `next()`.
   */
  stream<Req, Item>(method: StreamMethodDefinition<Req, Item>, request: Req, options: StreamOptions = {}): FerryStream<Item> {
    checkMethod(method, "stream");
    checkOptions(options, "stream");
    if (method.kind !== "stream") throw new InvalidArgumentError(`${method.service}.${method.name} is not a stream method: use ${method.kind === "event" ? "emit" : "call"}`);
    const window = checkStreamWindow(options.window ?? this.streamWindow, "window");
    const windowBytes = checkStreamWindowBytes(options.windowBytes ?? this.streamWindowBytes, "windowBytes");
    const itemTimeoutMs = checkPositive("timeoutMs", options.timeoutMs ?? method.timeoutMs ?? this.defaultTimeoutMs);
    return new FerryStream<Item>(() => this.openStream(method, request, options, { window, windowBytes }, itemTimeoutMs));
  }

  private openStream<Req, Item>(
    method: StreamMethodDefinition<Req, Item>,
    request: Req,
    options: StreamOptions,
    { window, windowBytes }: { window: number; windowBytes: number },
    itemTimeoutMs: number,
  ): StreamCall<Item> {
    if (this.closed) throw new ClosedError("the client is closed");
    const host = this.streamHost;
    if (host === undefined) throw new ClosedError("the client is not started");
    if (this.openStreams >= this.maxOpenStreams) throw new QueueFullError(`${this.openStreams} streams are open, the client's maxOpenStreams`);
    const context = currentContext();
    const now = this.clock.now();
    const deadline = context === undefined ? options.deadline : Math.min(options.deadline ?? Infinity, context.deadline);
    const plan: StreamPlan = {
      topic: serviceTopic(method.service),
      service: method.service,
      method: method.name,
      callId: newCallId(),
      correlationId: correlationIdOf(++this.nextCorrelation),
      key: options.key ?? method.keyOf?.(request),
      headers: mergeHeaders(context?.headers, options.headers),
      body: request === undefined ? undefined : encodeRequest(request),
      window,
      windowBytes,
      itemTimeoutMs,
      deadline: deadline === Infinity ? undefined : deadline,
      heartbeatMs: this.streamHeartbeatMs,
      signal: combineSignals(options.signal, context?.signal),
      validateItem: this.validateResponses ? method.validateResponse : undefined,
    };
    const call = new StreamCall<Item>(plan, host);
    this.openStreams++;
    if (this.interceptors.length === 0) {
      this.router.add(call.correlationId, call);
      call.start(now);
      return call;
    }
    interceptStream(this.interceptors, call as StreamCall<unknown>, plan, request, () => {
      if (this.closed) return call.fail(new ClosedError("the client is closed"));
      this.router.add(call.correlationId, call);
      call.start(this.clock.now());
    });
    return call;
  }

  /** Publishes a fire-and-forget call; resolves once the broker has confirmed it. */
  async emit<Req>(method: MethodDefinition<Req, void>, payload: Req, options: EmitOptions = {}): Promise<void> {
    if (this.closed) throw new ClosedError("the client is closed");
    checkMethod(method, "emit");
    checkOptions(options, "emit");
    if (this.interceptors.length === 0) return this.publishEvent(eventMessage(method, payload, options, false));
    const callId = newCallId();
    const plan: EventPlan = {
      service: method.service,
      method: method.name,
      callId,
      topic: serviceTopic(method.service),
      headers: mergeHeaders(currentContext()?.headers, options.headers),
      messageId: options.idempotencyKey ?? callId,
    };
    await interceptEvent(this.interceptors, plan, payload, (headers) => this.publishEvent(eventMessage(method, payload, { ...options, headers }, false, callId)));
  }

  private async publishEvent({ topic, bytes, key, messageId, durable }: EventMessage): Promise<void> {
    try {
      await this.transport.publish(topic, bytes, { key, messageId, durable });
    } catch (error) {
      throw asFerryError(error, `publishing an event to ${topic}`);
    }
  }

  private plan<Req>(method: MethodDefinition<Req, unknown>, request: Req, options: CallOptions, now: number): CallPlan {
    checkMethod(method, "call");
    checkOptions(options, "call");
    if (method.kind === "event") throw new InvalidArgumentError(`${method.service}.${method.name} is an event: use emit`);
    if (method.kind === "stream") throw new InvalidArgumentError(`${method.service}.${method.name} is a stream: use stream`);
    const context = currentContext();
    const timeoutMs = checkPositive("timeoutMs", options.timeoutMs ?? method.timeoutMs ?? this.defaultTimeoutMs);
    const retries = checkCount("retries", options.retries ?? method.retries ?? 0);
    const backoff = options.backoff ?? this.backoff;
    let deadline = options.deadline ?? now + timeoutMs * (retries + 1) + maxBackoffMs(retries, backoff);
    // A call made inside a handler never outlives the call being handled.
    if (context !== undefined) deadline = Math.min(deadline, context.deadline);
    const signal = combineSignals(options.signal, context?.signal);
    const callId = newCallId();
    return {
      topic: serviceTopic(method.service),
      service: method.service,
      method: method.name,
      callId,
      correlationId: correlationIdOf(++this.nextCorrelation),
      // Only requests that may run more than once carry a key: the server dedupes exactly those.
      idempotencyKey: options.idempotencyKey ?? (retries > 0 || method.idempotent === true ? callId : undefined),
      key: options.key ?? method.keyOf?.(request),
      headers: mergeHeaders(context?.headers, options.headers),
      body: request === undefined ? undefined : encodeRequest(request),
      timeoutMs,
      deadline,
      retries,
      backoff,
      signal,
      durable: method.durable === true,
      validateResponse: this.validateResponses ? method.validateResponse : undefined,
      callerStack: this.callerStacks ? captureCallerStack(RpcClient.prototype.call) : undefined,
    };
  }

  stats(): ClientStats {
    const router = this.router.stats();
    return { pending: router.pending, timers: this.timers.size, unknownReplies: router.unknown, malformedReplies: router.malformed, openStreams: this.openStreams };
  }

  /** Rejects every pending call with `CLOSED` and closes the reply queue. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.router.drain((target: ReplyTarget) => (target as PendingCall | StreamCall<unknown>).fail(new ClosedError("the client is closed")));
    this.routing?.unsubscribe();
    this.replyQueue?.close();
  }
}

function combineSignals(own: AbortSignal | undefined, parent: AbortSignal | undefined): AbortSignal | undefined {
  if (own === undefined) return parent;
  if (parent === undefined) return own;
  return AbortSignal.any([own, parent]);
}

/** The longest the backoffs of `retries` retries can take: each at its full delay, none cut by jitter. */
function maxBackoffMs(retries: number, backoff: BackoffOptions | undefined): number {
  let total = 0;
  for (let retry = 1; retry <= retries; retry++) total += backoffDelay(retry, backoff, () => 0);
  return total;
}

function checkPositive(name: string, value: number): number {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new InvalidArgumentError(`${name} must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}

function checkCount(name: string, value: number, min = 0): number {
  if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(`${name} must be an integer of at least ${min}, got ${String(value)}`);
  return value;
}
