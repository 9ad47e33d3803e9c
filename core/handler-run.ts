import type { Clock } from "./clock.js";
import { encodeValue } from "./codec.js";
import { runInContext, type CallContext } from "./context.js";
import type { Envelope } from "./envelope.js";
import { CancelledError, DeadlineExceededError, ErrorCode, FerryError, TimeoutError, toWireError, type WireError } from "./errors.js";
import type { Outcome } from "./idempotency.js";

/** How a run ended, from the server's point of view. */
export type RunResult =
  /** Reply with it (and store it for replay). */
  | { kind: "outcome"; outcome: Outcome }
  /** Worth another delivery: a retryable error, a timeout, a shutdown. */
  | { kind: "retry"; error: WireError }
  /** The caller cancelled and the handler stopped: nobody wants an answer. */
  | { kind: "cancelled" };

type Handlers = Record<string, (request: unknown, context: never) => unknown>;

/**
 * One execution of a handler: its context, its abort signal and the timers that fire it.
 *
 * The signal is made on first use. Most handlers never look at it, and an AbortController plus a
 * deadline timer per request was the largest single cost of an in-process call; a handler that
 * reads `context.signal` gets one that is already aborted if the run was, and that aborts at the
 * deadline.
 */
export class HandlerRun implements CallContext {
  readonly service: string;
  readonly method: string;
  readonly callId: string;
  readonly idempotencyKey: string;
  readonly deadline: number;
  readonly attempt: number;
  readonly headers: Readonly<Record<string, string>>;
  private controller: AbortController | undefined;
  private abortReason: Error | undefined;
  private deadlineTimer: unknown;
  private handlerTimer: unknown;

  constructor(
    envelope: Envelope,
    method: string,
    readonly deliveryCount: number,
    private readonly clock: Clock,
    private readonly handlerTimeoutMs: number | undefined,
  ) {
    this.service = envelope.service!;
    this.method = method;
    this.callId = envelope.id!;
    this.idempotencyKey = envelope.idempotencyKey ?? envelope.id!;
    this.deadline = envelope.deadline ?? Infinity;
    this.attempt = envelope.attempt ?? 1;
    this.headers = envelope.headers ?? {};
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

  async execute(handlers: Handlers, request: unknown): Promise<RunResult> {
    // Cancelled (or shut down) between delivery and start: the handler never runs.
    if (this.abortReason !== undefined) return this.abortedResult();
    if (this.handlerTimeoutMs !== undefined) {
      const limit = this.handlerTimeoutMs;
      this.handlerTimer = this.clock.setTimeout(() => this.abort(new TimeoutError(`the handler ran longer than ${limit} ms`)), limit);
    }
    try {
      const value = await runInContext(this, () => handlers[this.method]!(request, this as never));
      return { kind: "outcome", outcome: { ok: true, body: value === undefined ? undefined : encodeResponse(value) } };
    } catch (error) {
      if (this.abortReason !== undefined) return this.abortedResult();
      const wire = toWireError(error);
      return wire.retryable ? { kind: "retry", error: wire } : { kind: "outcome", outcome: { ok: false, error: wire } };
    } finally {
      if (this.deadlineTimer !== undefined) this.clock.clearTimeout(this.deadlineTimer);
      if (this.handlerTimer !== undefined) this.clock.clearTimeout(this.handlerTimer);
    }
  }

  /** A run stopped by its signal: a caller's cancel needs no answer; anything else is worth redelivering. */
  private abortedResult(): RunResult {
    return this.abortReason instanceof CancelledError ? { kind: "cancelled" } : { kind: "retry", error: toWireError(this.abortReason) };
  }

  cancel(): void {
    this.abort(new CancelledError("the caller cancelled the call"));
  }

  abort(reason: Error): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }
}

function encodeResponse(value: unknown): Uint8Array {
  try {
    return encodeValue(value);
  } catch (error) {
    throw new FerryError(ErrorCode.Internal, `the handler's response cannot be encoded: ${(error as Error).message}`, { cause: error });
  }
}
