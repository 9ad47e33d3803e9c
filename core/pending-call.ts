import { backoffDelay, type BackoffOptions } from "./backoff.js";
import { decodeValue, type DecodeLimits } from "./codec.js";
import { encodeEnvelope, MessageKind, type Envelope } from "./envelope.js";
import { CancelledError, DeadlineExceededError, FerryError, fromWireError, TimeoutError } from "./errors.js";
import type { ReplyTarget } from "./reply-router.js";
import type { PublishOptions } from "./transport.js";

/** Timers that are counted, so a test can prove none outlive their call. */
export interface CallTimers {
  now(): number;
  set(callback: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

/** What one call needs from its client. */
export interface CallHost {
  readonly timers: CallTimers;
  readonly replyQueue: string;
  readonly decodeLimits: DecodeLimits;
  publish(topic: string, bytes: Uint8Array, options: PublishOptions): Promise<void>;
  reply(queue: string, bytes: Uint8Array): void;
  /** The call is over (the router entry and the pending slot go). */
  finished(call: PendingCall): void;
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
  requireConsumer: boolean;
}

/**
 * One call, from first attempt to outcome. It is settled exactly once, by a reply, a final
 * failure, cancellation or close, and from then on every timer is cleared and late messages are
 * ignored. Attempts share the correlation id, so a late reply to an earlier attempt still
 * answers the call.
 */
export class PendingCall implements ReplyTarget {
  readonly promise: Promise<unknown>;
  private resolve!: (value: unknown) => void;
  private reject!: (error: Error) => void;
  private attempt = 0;
  private timer: unknown;
  private settled = false;
  /** Where the server running this call accepts a `Cancel` (learned from its `Started`). */
  private controlQueue: string | undefined;
  private readonly onAbort = () => this.cancel();

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

  start(): void {
    const { signal } = this.plan;
    if (signal?.aborted) return this.fail(new CancelledError("the call was cancelled before it was sent"));
    signal?.addEventListener("abort", this.onAbort, { once: true });
    this.send();
  }

  private send(): void {
    this.timer = undefined;
    const now = this.host.timers.now();
    const remaining = this.plan.deadline - now;
    if (remaining <= 0) return this.fail(new DeadlineExceededError(`the deadline passed before attempt ${this.attempt + 1}`));
    this.attempt++;
    const attemptTimeoutMs = Math.min(this.plan.timeoutMs, remaining);
    const attemptDeadline = now + attemptTimeoutMs;
    const envelope: Envelope = {
      kind: MessageKind.Request,
      id: this.plan.callId,
      correlationId: this.plan.correlationId,
      replyTo: this.host.replyQueue,
      service: this.plan.service,
      method: this.plan.method,
      deadline: attemptDeadline,
      attempt: this.attempt,
    };
    if (this.plan.idempotencyKey !== undefined) envelope.idempotencyKey = this.plan.idempotencyKey;
    if (this.plan.key !== undefined) envelope.key = this.plan.key;
    if (this.plan.headers !== undefined) envelope.headers = this.plan.headers;
    if (this.plan.body !== undefined) envelope.body = this.plan.body;
    if (this.plan.signal !== undefined) envelope.cancellable = true;
    const attempt = this.attempt;
    this.timer = this.host.timers.set(
      () => this.attemptFailed(attempt, new TimeoutError(`no reply from ${this.plan.service}.${this.plan.method} within ${attemptTimeoutMs} ms`)),
      attemptTimeoutMs,
    );
    this.host
      .publish(this.plan.topic, encodeEnvelope(envelope), {
        key: this.plan.key,
        expiresAt: attemptDeadline,
        requireConsumer: this.plan.requireConsumer,
      })
      .catch((error: unknown) => this.attemptFailed(attempt, asFerryError(error)));
  }

  /** An attempt failed: retry if the error allows it and the budget remains, else give up. */
  private attemptFailed(attempt: number, error: FerryError): void {
    if (this.settled || attempt !== this.attempt) return;
    this.clearTimer();
    if (!error.retryable || this.attempt > this.plan.retries) return this.fail(error);
    const delayMs = backoffDelay(this.attempt, this.plan.backoff);
    if (this.host.timers.now() + delayMs >= this.plan.deadline) return this.fail(error);
    this.timer = this.host.timers.set(() => this.send(), delayMs);
  }

  onMessage(envelope: Envelope): void {
    if (this.settled) {
      // Cancelled before the server started: now that it has, tell it to stop.
      if (envelope.kind === MessageKind.Started && envelope.replyTo !== undefined) {
        this.sendCancel(envelope.replyTo);
        this.finish();
      }
      return;
    }
    if (envelope.kind === MessageKind.Started) {
      this.controlQueue = envelope.replyTo;
      return;
    }
    if (envelope.error !== undefined) {
      const error = fromWireError(envelope.error);
      // A retryable refusal (the server was busy or shutting down) fails only its own attempt;
      // one for an earlier attempt is stale, since a newer attempt is already under way.
      if (error.retryable) return this.attemptFailed(envelope.attempt ?? this.attempt, error);
      return this.fail(error);
    }
    let value: unknown;
    try {
      value = envelope.body === undefined ? undefined : decodeValue(envelope.body, this.host.decodeLimits);
    } catch (error) {
      return this.fail(asFerryError(error));
    }
    this.finish();
    this.resolve(value);
  }

  /** The caller's signal aborted: fail now, and stop the handler if it is running. */
  private cancel(): void {
    if (this.settled) return;
    const reason = this.plan.signal?.reason;
    const error = new CancelledError(reason instanceof Error ? reason.message : "the call was cancelled", { cause: reason });
    if (this.controlQueue !== undefined) {
      this.fail(error);
      return this.sendCancel(this.controlQueue);
    }
    // Not started yet (as far as we know): settle the caller, but keep listening until the
    // deadline so a late `Started` still gets its `Cancel`.
    this.settled = true;
    this.clearTimer();
    this.plan.signal?.removeEventListener("abort", this.onAbort);
    const untilDeadline = this.plan.deadline - this.host.timers.now();
    if (untilDeadline > 0 && this.attempt > 0) this.timer = this.host.timers.set(() => this.finish(), untilDeadline);
    else this.finish();
    this.reject(error);
  }

  private sendCancel(queue: string): void {
    this.host.reply(queue, encodeEnvelope({ kind: MessageKind.Cancel, id: this.plan.callId, correlationId: this.plan.correlationId }));
  }

  /** Settles with `error`: used by failures and by close. */
  fail(error: Error): void {
    if (this.settled) {
      this.finish();
      return;
    }
    this.finish();
    this.reject(error);
  }

  private finish(): void {
    this.settled = true;
    this.clearTimer();
    this.plan.signal?.removeEventListener("abort", this.onAbort);
    this.host.finished(this);
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    this.host.timers.clear(this.timer);
    this.timer = undefined;
  }
}

function asFerryError(error: unknown): FerryError {
  if (error instanceof FerryError) return error;
  return new FerryError("INTERNAL", error instanceof Error ? error.message : String(error), { cause: error });
}
