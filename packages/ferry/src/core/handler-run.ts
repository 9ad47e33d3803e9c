import type { Clock } from "./clock.js";
import type { CallContext } from "./context.js";
import type { Envelope } from "./wire/envelope.js";
import { CancelledError, DeadlineExceededError, TimeoutError } from "./errors.js";
import { toWireError, type WireError } from "./wire/wire-error.js";

/** Shared by every run of a request without headers. */
const noHeaders: Readonly<Record<string, string>> = Object.freeze({});

/**
 * One execution of a handler, as its `CallContext`: the call's facts, and an abort signal fired
 * by a caller's cancel, the deadline, `handlerTimeoutMs` or a shutdown.
 *
 * The signal is made on first use. Most handlers never look at it, and an AbortController plus a
 * deadline timer per request was the largest single cost of an in-process call; a handler that
 * reads `context.signal` gets one that is already aborted if the run was, and that aborts at the
 * deadline.
 */
export class HandlerRun implements CallContext {
  readonly service: string;
  readonly callId: string;
  readonly idempotencyKey: string;
  readonly deadline: number;
  readonly attempt: number;
  /** Replaced by a mutable copy when the server has interceptors (they may add entries). */
  headers: Readonly<Record<string, string>>;
  /** `performance.now()` when the run began: its latency's start. */
  readonly startedAt = performance.now();
  private controller: AbortController | undefined;
  private abortReason: Error | undefined;
  private deadlineTimer: unknown;
  private handlerTimer: unknown;
  /** Told when the run is aborted (a stream stops pulling its handler's iterator). */
  onAbort: ((reason: Error) => void) | undefined;

  constructor(
    /** The server's number for this run: its key among the runs in progress. */
    readonly serial: number,
    envelope: Envelope,
    readonly method: string,
    readonly deliveryCount: number,
    private readonly clock: Clock,
    handlerTimeoutMs: number | undefined,
  ) {
    this.service = envelope.service!;
    this.callId = envelope.id!;
    this.idempotencyKey = envelope.idempotencyKey ?? envelope.id!;
    this.deadline = envelope.deadline ?? Infinity;
    this.attempt = envelope.attempt ?? 1;
    this.headers = envelope.headers ?? noHeaders;
    if (handlerTimeoutMs !== undefined) {
      this.handlerTimer = clock.setTimeout(() => this.abort(new TimeoutError(`the handler ran longer than ${handlerTimeoutMs} ms`)), handlerTimeoutMs);
    }
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
      else if (this.deadline !== Infinity) {
        this.deadlineTimer = this.clock.setTimeout(
          () => this.abort(new DeadlineExceededError("the call's deadline passed while its handler ran")),
          this.deadline - this.clock.now(),
        );
      }
    }
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.abortReason !== undefined;
  }

  /** Why the run was stopped: `undefined` for a caller's cancel (nobody wants an answer), else the error to redeliver on. */
  get abortError(): WireError | undefined {
    return this.abortReason instanceof CancelledError ? undefined : toWireError(this.abortReason);
  }

  cancel(): void {
    this.abort(new CancelledError("the caller cancelled the call"));
  }

  abort(reason: Error): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
    this.onAbort?.(reason);
  }

  /** The run is over: stop its timers. */
  end(): void {
    if (this.deadlineTimer !== undefined) this.clock.clearTimeout(this.deadlineTimer);
    if (this.handlerTimer !== undefined) this.clock.clearTimeout(this.handlerTimer);
  }
}
