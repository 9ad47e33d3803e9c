import { CancelledError, InvalidArgumentError } from "../errors.js";
import { runChain, type ClientInterceptor } from "../interceptors.js";
import { InterceptedCall } from "../outgoing-call.js";
import type { StreamCall, StreamPlan } from "./stream-call.js";

/**
 * A stream going through its client's interceptors: the same `OutgoingCall` a call shows them,
 * with `kind` "stream", one attempt, and a `next()` that settles when the stream ends. Made only
 * when the runtime has interceptors; a runtime without any opens its streams as they are.
 */
export class InterceptedStream extends InterceptedCall {
  private outcome: { resolve: (items: number) => void; reject: (error: Error) => void } | undefined;

  constructor(
    plan: StreamPlan,
    request: unknown,
    private readonly call: StreamCall<unknown>,
  ) {
    super(plan, request);
  }

  override get kind(): "stream" {
    return "stream";
  }

  override get items(): number | undefined {
    return this.call.itemsReceived;
  }

  /**
   * The end of the chain: opens the stream with `open`, and settles when it ends. A stream whose
   * consumer stopped (or whose signal aborted) while an interceptor was still deciding is not sent.
   */
  opened(open: () => void): Promise<number> {
    if (this.call.over) return Promise.reject(new CancelledError(`the stream ${this.service}.${this.method} ended before its interceptors opened it`));
    const ended = new Promise<number>((resolve, reject) => (this.outcome = { resolve, reject }));
    open();
    return ended;
  }

  override ended(attempt: number, error: Error | undefined): void {
    super.ended(attempt, error);
    const outcome = this.outcome;
    this.outcome = undefined;
    if (error === undefined) outcome?.resolve(this.call.itemsReceived);
    else outcome?.reject(error);
  }
}

/**
 * Runs a stream's opening through `interceptors`; the last step calls `open` (which sends the
 * request). An interceptor that throws before `next()` refuses the stream with its error; one
 * that returns without calling `next()` fails it with `INVALID_ARGUMENT`: a stream cannot be
 * answered with one value.
 */
export function interceptStream(interceptors: readonly ClientInterceptor[], call: StreamCall<unknown>, plan: StreamPlan, request: unknown, open: () => void): void {
  const outgoing = new InterceptedStream(plan, request, call);
  let reached = false;
  runChain(interceptors, outgoing, () => {
    reached = true;
    return outgoing.opened(open);
  }).then(
    () => {
      if (!reached) call.fail(new InvalidArgumentError(`a client interceptor answered the stream ${plan.service}.${plan.method} without calling next(): a stream cannot be answered with one value; throw to refuse it`));
    },
    (error: unknown) => {
      if (!reached) call.fail(error instanceof Error ? error : new InvalidArgumentError(`a client interceptor refused the stream ${plan.service}.${plan.method} with ${String(error)}`));
    },
  );
}
