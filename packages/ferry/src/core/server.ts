import { hash } from "node:crypto";
import { systemClock, type Clock } from "./clock.js";
import { defaultMaxMessageBytes, defaultPrefetch, defaultStreamIdleTimeoutMs } from "./defaults.js";
import { decodeCounted, defaultDecodeLimits, encodeValue, type DecodeLimits } from "./wire/codec.js";
import { runInContext, type CallContext } from "./context.js";
import { describeValue } from "./describe-value.js";
import type { MethodDefinition, ServiceDefinition } from "./definition.js";
import { decodeEnvelope, encodeEnvelope, MessageKind, type Envelope } from "./wire/envelope.js";
import {
  FerryError,
  IdempotencyMismatchError,
  InternalError,
  InvalidArgumentError,
  UnavailableError,
  UnimplementedError,
} from "./errors.js";
import { HandlerRun } from "./handler-run.js";
import { IncomingRequest } from "./incoming-request.js";
import { checkInterceptors, runChain, type IncomingCall, type ServerInterceptor } from "./interceptors.js";
import type { ServerObserver } from "./server-observer.js";
import { ServiceRecord } from "./registry/service-record.js";
import { LiveTable } from "./live-table.js";
import type { IdempotencyStore, Outcome } from "./idempotency.js";
import { serviceTopic } from "./topics.js";
import { StreamRun } from "./stream/stream-run.js";
import { interceptStreamRun } from "./stream/intercepted-stream-run.js";
import { checkStreamWindow } from "./stream/stream-window.js";
import type { Delivery, ReplyQueue, Subscription, Transport } from "./transport.js";
import { defaultDrainTimeoutMs, defaultRedeliveryDelayMs, type ServeOptions, type ServerStats } from "./serve-options.js";
import { toWireError, type WireError } from "./wire/wire-error.js";

/** What the runtime adds to a server beyond its options: its built-in interceptors and its observer. */
export interface ServerHooks {
  /** Run before the `interceptors` of the serve options. */
  interceptors?: readonly ServerInterceptor[];
  observer?: ServerObserver;
}

type Handler = (request: unknown, context: CallContext) => unknown;

/**
 * The service's side: takes requests from its topic, checks them, runs the handler once per
 * idempotency key, replies, and only then acknowledges. A retryable failure is nacked and
 * redelivered; the last allowed delivery replies with the error and dead-letters the message.
 *
 * Checks that need no waiting (decode, method, deadline, validation) run synchronously in the
 * delivery callback; one async step per request then claims, runs, stores, replies and acks.
 */
export class RpcServer {
  private readonly clock: Clock;
  private readonly decodeLimits: DecodeLimits;
  private readonly validate: boolean;
  private readonly redeliveryDelayMs: number;
  private readonly drainTimeoutMs: number;
  private readonly handlers = new Map<string, Handler>();
  private readonly interceptors: readonly ServerInterceptor[];
  private readonly observer: ServerObserver | undefined;
  /** Every run in progress, and (by call id) those a caller may cancel. */
  private readonly runs = new LiveTable<HandlerRun>();
  private nextRun = 0;
  private readonly cancellable = new Map<string, HandlerRun>();
  /** Streams in progress, by call id: where their callers' credits go. */
  private readonly streams = new Map<string, StreamRun>();
  private subscription: Subscription | undefined;
  private controlQueue: ReplyQueue | undefined;
  private active = 0;
  private draining = false;
  private drained: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  private readonly counters = { handled: 0, replayed: 0, joined: 0, redelivered: 0, refused: 0, expired: 0, malformed: 0 };
  /** Per method: runs, errors, latency and last error, for discovery (`ferry services`). */
  readonly record: ServiceRecord;

  constructor(
    private readonly transport: Transport,
    private readonly definition: ServiceDefinition,
    implementation: Record<string, unknown>,
    private readonly store: IdempotencyStore,
    private readonly options: ServeOptions = {},
    hooks: ServerHooks = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.interceptors = [...(hooks.interceptors ?? []), ...checkInterceptors(options.interceptors, "serve")];
    this.observer = hooks.observer;
    this.decodeLimits = options.decodeLimits ?? defaultDecodeLimits;
    this.validate = options.validate ?? true;
    this.redeliveryDelayMs = options.redeliveryDelayMs ?? defaultRedeliveryDelayMs;
    this.drainTimeoutMs = options.drainTimeoutMs ?? defaultDrainTimeoutMs;
    this.record = new ServiceRecord(definition, options.group ?? definition.name, this.clock.now(), () => this.clock.now());
    if (typeof implementation !== "object" || implementation === null) {
      throw new InvalidArgumentError(`the implementation of ${definition.name} must be an object with a function for each method, got ${describeValue(implementation)}`);
    }
    for (const name of Object.keys(definition.methods)) {
      const handler = implementation[name];
      if (typeof handler !== "function") {
        throw new InvalidArgumentError(`the implementation of ${definition.name} has no function for method ${name} (it has ${describeValue(handler)})`);
      }
      // Bound once, so class-based implementations keep their `this`.
      this.handlers.set(name, handler.bind(implementation) as Handler);
    }
  }

  async start(): Promise<void> {
    const topic = serviceTopic(this.definition.name);
    const durable = Object.values(this.definition.methods).some((method) => method.durable === true);
    if (this.options.topic !== undefined || durable) {
      await this.transport.declareTopic(topic, { ...(durable ? { durable: true } : {}), ...this.options.topic });
    }
    this.controlQueue = await this.transport.openReplyQueue();
    this.controlQueue.messages.subscribe((bytes) => this.onControl(bytes));
    this.subscription = await this.transport.consume(topic, this.options.group ?? this.definition.name, (delivery) => this.accept(delivery), {
      prefetch: this.options.concurrency ?? defaultPrefetch,
      ordered: true,
    });
  }

  /** Checks a delivery: refuses it, or hands it to `run` (through `claimThenRun` when it carries an idempotency key). */
  private accept(delivery: Delivery): void {
    // While draining, deliveries are left unsettled: leaving the group hands them to other members.
    if (this.draining) return;
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(delivery.bytes, this.decodeLimits);
      if (envelope.kind !== MessageKind.Request && envelope.kind !== MessageKind.Event) throw new InvalidArgumentError(`message kind ${envelope.kind} is not a request`);
      if (envelope.method === undefined || envelope.id === undefined) throw new InvalidArgumentError("a request needs a method and an id");
    } catch (error) {
      this.counters.malformed++;
      const wire = toWireError(error);
      this.observer?.malformed(delivery.topic, wire);
      return delivery.reject(wire);
    }
    const method = Object.hasOwn(this.definition.methods, envelope.method) ? this.definition.methods[envelope.method] : undefined;
    if (method === undefined || envelope.service !== this.definition.name) return this.refuse(delivery, envelope, this.unimplemented(envelope));
    if (envelope.deadline !== undefined && envelope.deadline <= this.clock.now()) {
      this.counters.expired++;
      return delivery.ack();
    }
    let request: unknown;
    let mapEntries = 0;
    try {
      if (envelope.body !== undefined) ({ value: request, mapEntries } = decodeCounted(envelope.body, this.decodeLimits));
    } catch (error) {
      return this.refuse(delivery, envelope, new InvalidArgumentError(`the request body is malformed: ${(error as Error).message}`));
    }
    if (this.validate && method.validateRequest !== undefined) {
      const issues = method.validateRequest(request, this.options.strict === true, mapEntries);
      if (issues.length > 0) {
        const detail = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
        return this.refuse(delivery, envelope, new InvalidArgumentError(`invalid request to ${method.service}.${method.name}: ${detail}`, { data: { issues } }));
      }
    }
    if (method.kind === "stream" || envelope.sequence !== undefined) return this.startStream(delivery, envelope, method, request);
    this.active++;
    if (envelope.idempotencyKey === undefined) return this.run(delivery, envelope, method, request, undefined);
    const key = `${method.service}.${method.name}:${envelope.idempotencyKey}`;
    this.claimThenRun(delivery, envelope, method, request, key).catch((error: unknown) => this.storeFailed(delivery, error));
  }

  /** Why a request names a method this server does not have: which service it serves, and which methods. */
  private unimplemented(envelope: Envelope): UnimplementedError {
    const methods = Object.keys(this.definition.methods).join(", ");
    if (envelope.service !== this.definition.name) {
      return new UnimplementedError(`${envelope.service}.${envelope.method} is not served here: this server serves ${this.definition.name}`);
    }
    return new UnimplementedError(`${this.definition.name} has no method ${envelope.method}; its methods are ${methods}`);
  }

  /** A request is over (answered, handed back or refused): count it out for the drain. */
  private settled(): void {
    if (--this.active === 0) this.drained?.();
  }

  /** Only a failing idempotency store lands here: give the message back. */
  private storeFailed(delivery: Delivery, error: unknown): void {
    delivery.nack({ delayMs: this.redeliveryDelayMs, error: toWireError(error) });
    this.settled();
  }

  private refuse(delivery: Delivery, envelope: Envelope, error: FerryError): void {
    this.counters.refused++;
    this.observer?.refused(this.definition.name, envelope.method, error);
    this.respond(envelope, { ok: false, error: toWireError(error) });
    delivery.ack();
  }

  /** Runs the request once per idempotency key: a duplicate joins the run in flight or gets the stored reply. */
  private async claimThenRun(delivery: Delivery, envelope: Envelope, method: MethodDefinition, request: unknown, key: string): Promise<void> {
    const fingerprint = envelope.body === undefined ? "" : hash("sha256", envelope.body, "base64");
    for (;;) {
      const claim = await this.store.claim(key, fingerprint);
      if (claim.status === "new") return this.run(delivery, envelope, method, request, key);
      if (claim.status === "mismatch") {
        this.refuse(delivery, envelope, new IdempotencyMismatchError(`idempotency key ${envelope.idempotencyKey} was already used with a different request`));
        return this.settled();
      }
      const outcome = claim.status === "done" ? claim.outcome : await claim.outcome;
      if (outcome === undefined) continue; // the run we joined was handed back: claim again
      const how = claim.status === "done" ? "replayed" : "joined";
      this.counters[how]++;
      this.observer?.deduplicated(method.service, method.name, how);
      this.respond(envelope, outcome);
      delivery.ack();
      return this.settled();
    }
  }

  /**
   * Calls the handler. A handler that returns a plain value completes synchronously, with no
   * promise in between; one that returns a promise completes when it settles.
   */
  private run(delivery: Delivery, envelope: Envelope, method: MethodDefinition, request: unknown, key: string | undefined): void {
    const run = new HandlerRun(++this.nextRun, envelope, method.name, delivery.deliveryCount, this.clock, this.options.handlerTimeoutMs);
    this.runs.set(run.serial, run);
    if (envelope.cancellable) this.startCancellable(envelope, run);
    // A run cancelled between delivery and start never calls its handler (in-process, the
    // Started -> Cancel round trip above completes synchronously).
    if (run.aborted) return this.ran(run, delivery, envelope, key, undefined, true);
    let result: unknown;
    try {
      if (this.interceptors.length === 0) result = runInContext(run, this.handlers.get(method.name)!, request, run);
      else result = runInContext(run, runChain<IncomingCall>, this.interceptors, this.incoming(run, delivery, request, envelope.kind === MessageKind.Event ? "event" : "call"), () => this.handlers.get(method.name)!(request, run));
    } catch (error) {
      return this.ran(run, delivery, envelope, key, error, true);
    }
    if (!isPromiseLike(result)) return this.ran(run, delivery, envelope, key, result, false);
    result.then(
      (value) => this.ran(run, delivery, envelope, key, value, false),
      (error: unknown) => this.ran(run, delivery, envelope, key, error, true),
    );
  }

  /** The request as interceptors see it; its headers become the run's (so an interceptor may add to them). */
  private incoming(run: HandlerRun, delivery: Delivery, request: unknown, kind: IncomingCall["kind"], stream?: StreamRun): IncomingCall {
    const headers: Record<string, string> = { ...run.headers };
    run.headers = headers;
    return new IncomingRequest(kind, request, headers, delivery.topic, delivery.partition, this.options.group ?? this.definition.name, run, stream);
  }

  /** The handler returned `value` (or threw it): turn that into an outcome or a redelivery. */
  private ran(run: HandlerRun, delivery: Delivery, envelope: Envelope, key: string | undefined, value: unknown, threw: boolean): void {
    run.end();
    this.runs.take(run.serial);
    if (envelope.cancellable) this.cancellable.delete(run.callId);
    let outcome: Outcome | undefined;
    let retry: WireError | undefined;
    if (run.aborted) retry = run.abortError;
    else if (!threw) {
      try {
        outcome = { ok: true, body: value === undefined ? undefined : encodeResponse(value) };
      } catch (error) {
        outcome = { ok: false, error: toWireError(error) };
      }
    } else {
      const wire = toWireError(value);
      if (wire.retryable) retry = wire;
      else outcome = { ok: false, error: wire };
    }
    this.record.ran(run.method, run.startedAt, outcome === undefined ? retry : outcome.ok ? undefined : outcome.error);
    if (key === undefined) {
      this.conclude(delivery, envelope, outcome, retry);
      return this.settled();
    }
    this.concludeStored(delivery, envelope, key, outcome, retry).then(
      () => this.settled(),
      (error: unknown) => this.storeFailed(delivery, error),
    );
  }

  private async concludeStored(delivery: Delivery, envelope: Envelope, key: string, outcome: Outcome | undefined, retry: WireError | undefined): Promise<void> {
    if (outcome !== undefined) await this.store.complete(key, outcome);
    else await this.store.release(key);
    this.conclude(delivery, envelope, outcome, retry);
  }

  /** Reply then ack; or hand the message back (the last allowed delivery also tells the caller). */
  private conclude(delivery: Delivery, envelope: Envelope, outcome: Outcome | undefined, retry: WireError | undefined): void {
    if (outcome !== undefined) {
      this.counters.handled++;
      const reply = this.encodeReply(envelope, outcome);
      if (reply === undefined) return delivery.ack();
      if (delivery.ackWithReply !== undefined) return delivery.ackWithReply(envelope.replyTo!, reply);
      this.transport.reply(envelope.replyTo!, reply);
      return delivery.ack();
    }
    if (retry === undefined) return delivery.ack(); // the caller cancelled and is gone: nothing to redo
    this.counters.redelivered++;
    const last = delivery.deliveryCount >= delivery.maxDeliveries;
    this.observer?.redelivered(this.definition.name, envelope.method!, delivery.deliveryCount, retry, last);
    // The caller should not wait out its timeout for a message that is about to be dead-lettered.
    if (last) this.respond(envelope, { ok: false, error: retry });
    delivery.nack({ delayMs: last ? 0 : this.redeliveryDelayMs, error: { code: retry.code, message: retry.message } });
  }

  /**
   * Starts a stream: acknowledged at once (a stream is never redelivered: its caller has items
   * already), then run by a `StreamRun` until it ends. It counts as running for the drain.
   */
  private startStream(delivery: Delivery, envelope: Envelope, method: MethodDefinition, request: unknown): void {
    let window: number;
    try {
      if (method.kind !== "stream") throw new InvalidArgumentError(`${method.service}.${method.name} is not a stream method: call it with ferry.call`);
      if (envelope.sequence === undefined) throw new InvalidArgumentError(`${method.service}.${method.name} is a stream method: call it with ferry.stream`);
      window = checkStreamWindow(envelope.sequence, `the window of a stream request to ${method.service}.${method.name}`);
    } catch (error) {
      return this.refuse(delivery, envelope, error as FerryError);
    }
    this.active++;
    delivery.ack();
    const run = new HandlerRun(++this.nextRun, envelope, method.name, delivery.deliveryCount, this.clock, undefined);
    this.runs.set(run.serial, run);
    this.cancellable.set(run.callId, run);
    const stream = new StreamRun(
      {
        clock: this.clock,
        controlQueue: this.controlQueue!.name,
        idleTimeoutMs: this.options.streamIdleTimeoutMs ?? defaultStreamIdleTimeoutMs,
        maxItemBytes: Math.min(this.decodeLimits.maxBytes, defaultMaxMessageBytes),
        reply: (queue, bytes) => this.transport.reply(queue, bytes),
        finished: () => {
          this.runs.take(run.serial);
          this.cancellable.delete(run.callId);
          this.streams.delete(run.callId);
          this.counters.handled++;
          this.settled();
        },
      },
      run,
      envelope,
      window,
    );
    this.streams.set(run.callId, stream);
    const handler = this.handlers.get(method.name)!;
    const ran = this.interceptors.length === 0 ? stream.start(handler, request) : runInContext(run, interceptStreamRun, this.interceptors, this.incoming(run, delivery, request, "stream", stream), stream, handler, request);
    // Recorded once, when it is over: a caller's cancel counts as handled without error, as for a call.
    ran.then(
      () => this.record.ran(run.method, run.startedAt, undefined),
      (error: unknown) => this.record.ran(run.method, run.startedAt, toWireError(error)),
    );
  }

  /** Tells a caller holding an AbortSignal where to send its `Cancel`. */
  private startCancellable(envelope: Envelope, run: HandlerRun): void {
    this.cancellable.set(run.callId, run);
    if (envelope.replyTo !== undefined && this.controlQueue !== undefined) {
      this.transport.reply(envelope.replyTo, encodeEnvelope({ kind: MessageKind.Started, correlationId: envelope.correlationId, replyTo: this.controlQueue.name }));
    }
  }

  private respond(envelope: Envelope, outcome: Outcome): void {
    const reply = this.encodeReply(envelope, outcome);
    if (reply !== undefined) this.transport.reply(envelope.replyTo!, reply);
  }

  /** The encoded reply to `envelope`, or undefined when it expects none (an event, or no reply queue). */
  private encodeReply(envelope: Envelope, outcome: Outcome): Uint8Array | undefined {
    if (envelope.kind !== MessageKind.Request || envelope.replyTo === undefined || envelope.correlationId === undefined) return undefined;
    const reply: Envelope = { kind: MessageKind.Reply, correlationId: envelope.correlationId };
    if (envelope.attempt !== undefined) reply.attempt = envelope.attempt;
    if (outcome.ok) {
      if (outcome.body !== undefined) reply.body = outcome.body;
    } else reply.error = outcome.error;
    return encodeEnvelope(reply);
  }

  /** A `Cancel` from a caller aborts its handler's signal. */
  private onControl(bytes: Uint8Array): void {
    try {
      const envelope = decodeEnvelope(bytes, this.decodeLimits);
      if (envelope.kind === MessageKind.Cancel && envelope.id !== undefined) this.cancellable.get(envelope.id)?.cancel();
      else if (envelope.kind === MessageKind.Credit && envelope.id !== undefined) this.streams.get(envelope.id)?.credit(envelope.sequence);
    } catch {
      // A malformed control message concerns no run.
    }
  }

  stats(): ServerStats {
    return { ...this.counters, running: this.runs.size };
  }

  /**
   * Drains: takes no new requests, lets running handlers finish (up to `drainTimeoutMs`, then
   * aborts them, and their messages are redelivered), then leaves the group.
   */
  close(): Promise<void> {
    this.closing ??= this.drain();
    return this.closing;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    this.record.stop();
    if (this.active > 0) {
      const finished = new Promise<void>((resolve) => (this.drained = resolve));
      await this.within(finished, this.drainTimeoutMs);
      if (this.active > 0) {
        for (const run of this.runs.values()) run.abort(new UnavailableError(`${this.definition.name} is shutting down`));
        // A handler that ignores its signal is left behind: leaving the group below hands its
        // message to another member, and whatever it does later is ignored.
        await this.within(finished, this.drainTimeoutMs);
      }
    }
    await this.subscription?.unsubscribe();
    this.controlQueue?.close();
  }

  private async within(promise: Promise<void>, ms: number): Promise<void> {
    let timer: unknown;
    const timedOut = new Promise<void>((resolve) => (timer = this.clock.setTimeout(resolve, ms)));
    await Promise.race([promise, timedOut]);
    this.clock.clearTimeout(timer);
  }
}

function encodeResponse(value: unknown): Uint8Array {
  try {
    return encodeValue(value);
  } catch (error) {
    throw new InternalError(`the handler's response cannot be encoded: ${(error as Error).message}`, { cause: error });
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}
