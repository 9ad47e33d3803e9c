import { backoffDelay, type BackoffOptions } from "./backoff.js";
import type { CallTimers, Timed } from "./call-timers.js";
import type { Clock } from "./clock.js";
import { decodeValue, type DecodeLimits } from "./wire/codec.js";
import { encodeEnvelope, MessageKind, type Envelope } from "./wire/envelope.js";
import type { Validator } from "./definition.js";
import type { ErrorClasses } from "./error-registry.js";
import { asFerryError, CancelledError, DeadlineExceededError, InternalError, TimeoutError, UnconfirmedError } from "./errors.js";
import { withCallerStack } from "./caller-stack.js";
import type { ReplyTarget } from "./reply-router.js";
import type { PublishOptions } from "./transport.js";
import { fromWireError, type RemoteFailure } from "./wire/wire-error.js";

/** What one call needs from its client. */
export interface CallHost {
  readonly clock: Clock;
  readonly replyQueue: string;
  readonly decodeLimits: DecodeLimits;
  /** The application's error classes, rebuilt from replies by name (`connect({ errors })`). */
  readonly errorClasses: ErrorClasses | undefined;
  /** Publishes an attempt; a failure goes to `failed` (never synchronously). */
  publishRequest(topic: string, bytes: Uint8Array, options: PublishOptions, failed: (error: Error) => void): void;
  reply(queue: string, bytes: Uint8Array): void;
  /** Where a call waits for its timeout, backoff or late start (one clock timer for all calls). */
  readonly timers: CallTimers;
  /** The call is over (the router entry and the pending slot go). */
  finished(call: PendingCall): void;
}

/**
 * Told of each attempt of a call whose runtime has interceptors (`InterceptedCall`): as it is
 * sent, and as it ends. A call without interceptors has none, and pays one branch per attempt.
 */
export interface AttemptObserver {
  /** Attempt `attempt` is being sent: returns the headers it carries. */
  sent(attempt: number, messageId: string, deadline: number): Record<string, string> | undefined;
  /** That attempt ended: `error` is what ended it, `undefined` a reply. */
  ended(attempt: number, error: Error | undefined): void;
}

/** A call's fixed facts, decided before its first attempt. */
export interface CallPlan {
  topic: string;
  service: string;
  method: string;
  callId: string;
  correlationId: string;
  idempotencyKey: string | undefined;
  key: string | undefined;
  headers: Record<string, string> | undefined;
  body: Uint8Array | undefined;
  timeoutMs: number;
  /** Absolute, across attempts. */
  deadline: number;
  retries: number;
  backoff: BackoffOptions | undefined;
  signal: AbortSignal | undefined;
  /**
   * A `@durable` method: the request is stored until a server takes it, declared topic or not.
   * Any other request needs a consumer now (`NO_RESPONDERS` otherwise).
   */
  durable: boolean;
  /** Checks the reply when the client validates responses. */
  validateResponse: Validator | undefined;
  /** Watches each attempt, when the runtime has interceptors. */
  attempts?: AttemptObserver;
  /** Where the call was made (`callerStacks`): its stack is appended to the call's failure. */
  callerStack?: { stack?: string } | undefined;
}

/** What the one timer of a call is waiting for. */
const Waiting = { Reply: 0, Backoff: 1, LateStart: 2 } as const;
type Waiting = (typeof Waiting)[keyof typeof Waiting];

/**
 * One call, from first attempt to outcome. It is settled exactly once, by a reply, a final
 * failure, cancellation or close, and from then on its timer is cleared and late messages are
 * ignored. Attempts share the correlation id, so a late reply to an earlier attempt still
 * answers the call. A call waits for at most one moment at a time (attempt timeout, backoff, or
 * the wait for a cancelled call's start), in its client's `CallTimers`.
 */
export class PendingCall implements ReplyTarget, Timed {
  /** For `CallTimers`: when the call's timer is due, and where the call sits in its queue. */
  dueAt = 0;
  queueIndex = -1;
  queueOrder = 0;
  readonly promise: Promise<unknown>;
  private resolve!: (value: unknown) => void;
  private reject!: (error: Error) => void;
  private attempt = 0;
  private attemptTimeoutMs = 0;
  /** The attempt sent and not yet ended, for the plan's `attempts` observer; 0 when none. */
  private openAttempt = 0;
  private waiting: Waiting = Waiting.Reply;
  private settled = false;
  /** Where the server running this call accepts a `Cancel` (learned from its `Started`). */
  private controlQueue: string | undefined;
  private onAbort: (() => void) | undefined;

  constructor(
    private readonly plan: CallPlan,
    private readonly host: CallHost,
  ) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  get correlationId(): string {
    return this.plan.correlationId;
  }

  /** Sends the first attempt; `now` is the clock's time, read once by the caller for the whole call. */
  start(now: number): void {
    const { signal } = this.plan;
    if (signal !== undefined) {
      if (signal.aborted) return this.fail(new CancelledError("the call was cancelled before it was sent"));
      this.onAbort = () => this.cancel();
      signal.addEventListener("abort", this.onAbort, { once: true });
    }
    this.send(now);
  }

  private send(now = this.host.clock.now()): void {
    const remaining = this.plan.deadline - now;
    if (remaining <= 0) return this.fail(new DeadlineExceededError(`the deadline passed before attempt ${this.attempt + 1}`));
    this.attempt++;
    this.attemptTimeoutMs = Math.min(this.plan.timeoutMs, remaining);
    const attemptDeadline = now + this.attemptTimeoutMs;
    const messageId = `${this.plan.callId}:${this.attempt}`;
    let headers = this.plan.headers;
    if (this.plan.attempts !== undefined) {
      this.openAttempt = this.attempt;
      headers = this.plan.attempts.sent(this.attempt, messageId, attemptDeadline);
    }
    // Every field at once, absent ones undefined: one object shape, no properties added later.
    const envelope: Envelope = {
      kind: MessageKind.Request,
      id: this.plan.callId,
      correlationId: this.plan.correlationId,
      replyTo: this.host.replyQueue,
      service: this.plan.service,
      method: this.plan.method,
      key: this.plan.key,
      idempotencyKey: this.plan.idempotencyKey,
      deadline: attemptDeadline,
      attempt: this.attempt,
      cancellable: this.plan.signal !== undefined,
      headers,
      body: this.plan.body,
    };
    this.arm(Waiting.Reply, this.attemptTimeoutMs, now);
    const attempt = this.attempt;
    this.host.publishRequest(
      this.plan.topic,
      encodeEnvelope(envelope),
      {
        key: this.plan.key,
        expiresAt: attemptDeadline,
        requireConsumer: !this.plan.durable,
        durable: this.plan.durable,
        messageId,
        lazyConfirm: true,
      },
      (error) => this.attemptFailed(attempt, asFerryError(error, `publishing a request to ${this.plan.topic}`)),
    );
  }

  /** The call's timer is due (called by `CallTimers`). */
  fire(): void {
    if (this.waiting === Waiting.Backoff) return this.send();
    if (this.waiting === Waiting.LateStart) return this.finish();
    const timeout = new TimeoutError(`no reply from ${this.plan.service}.${this.plan.method} within ${this.attemptTimeoutMs} ms`);
    this.attemptFailed(this.attempt, timeout);
  }

  /** An attempt failed: retry if the error allows it and the budget remains, else give up. */
  private attemptFailed(attempt: number, error: RemoteFailure): void {
    if (this.settled || attempt !== this.attempt) return;
    const delayMs = error.retryable && this.attempt <= this.plan.retries ? backoffDelay(this.attempt, this.plan.backoff) : undefined;
    const canRetry = delayMs !== undefined && this.host.clock.now() + delayMs < this.plan.deadline;
    // The request may have arrived: its reply, or this attempt's timeout, decides.
    if (!canRetry && error instanceof UnconfirmedError) return;
    this.endAttempt(error);
    this.disarm();
    if (!canRetry) return this.fail(error);
    this.arm(Waiting.Backoff, delayMs);
  }

  onMessage(envelope: Envelope): void {
    if (this.settled) {
      // Cancelled before the server started: now that it has, tell it to stop. A reply means the
      // run is over anyway. Either way there is nothing left to wait for.
      if (envelope.kind === MessageKind.Started && envelope.replyTo !== undefined) this.sendCancel(envelope.replyTo);
      this.finish();
      return;
    }
    if (envelope.kind === MessageKind.Started) {
      this.controlQueue = envelope.replyTo;
      return;
    }
    if (envelope.error !== undefined) {
      const error = fromWireError(envelope.error, this.host.errorClasses);
      // A retryable refusal (the server was busy or shutting down) fails only its own attempt;
      // one for an earlier attempt is stale, since a newer attempt is already under way.
      if (error.retryable) return this.attemptFailed(envelope.attempt ?? this.attempt, error);
      return this.fail(error);
    }
    let value: unknown;
    try {
      value = envelope.body === undefined ? undefined : decodeValue(envelope.body, this.host.decodeLimits);
    } catch (error) {
      return this.fail(asFerryError(error, `decoding the reply of ${this.plan.service}.${this.plan.method}`));
    }
    const issues = this.plan.validateResponse?.(value);
    if (issues !== undefined && issues.length > 0) {
      const detail = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
      return this.fail(new InternalError(`${this.plan.service}.${this.plan.method} replied outside its contract: ${detail}`, { data: { issues } }));
    }
    this.endAttempt(undefined);
    this.finish();
    this.resolve(value);
  }

  /** The caller's signal aborted: fail now, and stop the handler if it is running. */
  private cancel(): void {
    if (this.settled) return;
    const reason: unknown = this.plan.signal?.reason;
    const error = new CancelledError(reason instanceof Error ? reason.message : "the call was cancelled", { cause: reason });
    const controlQueue = this.controlQueue;
    if (controlQueue !== undefined) {
      this.fail(error);
      return this.sendCancel(controlQueue);
    }
    // Not started yet (as far as we know): settle the caller, but keep listening until the
    // deadline so a late `Started` still gets its `Cancel`.
    this.settled = true;
    this.endAttempt(error);
    this.disarm();
    this.stopListening();
    const untilDeadline = this.plan.deadline - this.host.clock.now();
    if (untilDeadline > 0 && this.attempt > 0) this.arm(Waiting.LateStart, untilDeadline);
    else this.finish();
    this.reject(withCallerStack(error, this.plan.callerStack));
  }

  private sendCancel(queue: string): void {
    this.host.reply(queue, encodeEnvelope({ kind: MessageKind.Cancel, id: this.plan.callId, correlationId: this.plan.correlationId }));
  }

  /** Settles with `error`: used by failures and by close. */
  fail(error: Error): void {
    const wasSettled = this.settled;
    if (!wasSettled) this.endAttempt(error);
    this.finish();
    if (!wasSettled) this.reject(withCallerStack(error, this.plan.callerStack));
  }

  /** Tells the plan's observer that the open attempt ended (once; nothing without an observer). */
  private endAttempt(error: Error | undefined): void {
    if (this.openAttempt === 0) return;
    const attempt = this.openAttempt;
    this.openAttempt = 0;
    this.plan.attempts!.ended(attempt, error);
  }

  private finish(): void {
    this.settled = true;
    this.disarm();
    this.stopListening();
    this.host.finished(this);
  }

  private arm(waiting: Waiting, delayMs: number, now?: number): void {
    this.waiting = waiting;
    this.host.timers.schedule(this, delayMs, now);
  }

  private disarm(): void {
    this.host.timers.cancel(this);
  }

  private stopListening(): void {
    if (this.onAbort === undefined) return;
    this.plan.signal?.removeEventListener("abort", this.onAbort);
    this.onAbort = undefined;
  }
}
