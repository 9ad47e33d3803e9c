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

/** One execution of a handler: its context, its abort signal and the timers that fire it. */
export class HandlerRun {
  private readonly controller = new AbortController();

  constructor(
    private readonly envelope: Envelope,
    private readonly deliveryCount: number,
    private readonly clock: Clock,
    private readonly handlerTimeoutMs: number | undefined,
  ) {}

  async execute(handlers: Handlers, method: string, request: unknown): Promise<RunResult> {
    // Cancelled (or shut down) between delivery and start: the handler never runs.
    if (this.controller.signal.aborted) return this.abortedResult();
    const { envelope, clock } = this;
    const deadline = envelope.deadline ?? Infinity;
    const timers: unknown[] = [];
    if (deadline !== Infinity) {
      timers.push(clock.setTimeout(() => this.abort(new DeadlineExceededError("the call's deadline passed while its handler ran")), deadline - clock.now()));
    }
    if (this.handlerTimeoutMs !== undefined) {
      const limit = this.handlerTimeoutMs;
      timers.push(clock.setTimeout(() => this.abort(new TimeoutError(`the handler ran longer than ${limit} ms`)), limit));
    }
    const context: CallContext = {
      service: envelope.service!,
      method,
      callId: envelope.id!,
      idempotencyKey: envelope.idempotencyKey ?? envelope.id!,
      deadline,
      attempt: envelope.attempt ?? 1,
      deliveryCount: this.deliveryCount,
      headers: envelope.headers ?? {},
      signal: this.controller.signal,
    };
    try {
      const value = await runInContext(context, () => handlers[method]!(request, context as never));
      return { kind: "outcome", outcome: { ok: true, body: value === undefined ? undefined : encodeResponse(value) } };
    } catch (error) {
      if (this.controller.signal.aborted) return this.abortedResult();
      const wire = toWireError(error);
      return wire.retryable ? { kind: "retry", error: wire } : { kind: "outcome", outcome: { ok: false, error: wire } };
    } finally {
      for (const timer of timers) clock.clearTimeout(timer);
    }
  }

  /** A run stopped by its signal: a caller's cancel needs no answer; anything else is worth redelivering. */
  private abortedResult(): RunResult {
    const reason: unknown = this.controller.signal.reason;
    return reason instanceof CancelledError ? { kind: "cancelled" } : { kind: "retry", error: toWireError(reason) };
  }

  cancel(): void {
    this.abort(new CancelledError("the caller cancelled the call"));
  }

  abort(reason: Error): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }
}

function encodeResponse(value: unknown): Uint8Array {
  try {
    return encodeValue(value);
  } catch (error) {
    throw new FerryError(ErrorCode.Internal, `the handler's response cannot be encoded: ${(error as Error).message}`, { cause: error });
  }
}
