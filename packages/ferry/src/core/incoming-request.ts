import type { HandlerRun } from "./handler-run.js";
import type { IncomingCall } from "./interceptors.js";
import type { StreamRun } from "./stream/stream-run.js";

/**
 * A request as its server's interceptors see it, one per run. A class rather than an object
 * literal: a literal with an `items` getter made a closure and an accessor on every request, the
 * largest single cost of a no-op server interceptor.
 */
export class IncomingRequest implements IncomingCall {
  readonly service: string;
  readonly method: string;
  readonly attempt: number;
  readonly deadline: number;
  readonly callId: string;
  readonly deliveryCount: number;
  readonly #stream: StreamRun | undefined;

  constructor(
    readonly kind: IncomingCall["kind"],
    readonly request: unknown,
    readonly headers: Record<string, string>,
    readonly topic: string,
    readonly partition: number,
    readonly group: string,
    readonly context: HandlerRun,
    stream: StreamRun | undefined,
  ) {
    this.#stream = stream;
    this.service = context.service;
    this.method = context.method;
    this.attempt = context.attempt;
    this.deadline = context.deadline;
    this.callId = context.callId;
    this.deliveryCount = context.deliveryCount;
  }

  get items(): number | undefined {
    return this.#stream?.itemsSent;
  }
}
