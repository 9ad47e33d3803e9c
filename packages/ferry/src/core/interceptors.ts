import type { CallContext } from "./context.js";
import { describeValue } from "./describe-value.js";
import { InvalidArgumentError } from "./errors.js";

/**
 * An outgoing call as its client's interceptors see it, from before its first attempt is sent
 * until its outcome. Interceptors run in the order given to `connect({ interceptors })`, each
 * around the next, as gRPC interceptors and tRPC links do.
 */
export interface OutgoingCall {
  /**
   * `"stream"` for the opening of a stream (`ferry.stream`), `"event"` for an `emit`, `"call"`
   * otherwise. A stream has one attempt, and its `next()` settles when the stream ends: README
   * "Streaming replies". An event has one attempt (its publish), and its `next()` resolves, with
   * undefined, once the broker has confirmed it; returning without calling `next()` drops it.
   */
  readonly kind: "call" | "stream" | "event";
  /** For a stream, the items received so far (the total once `next()` has settled); undefined for a call. */
  readonly items: number | undefined;
  readonly service: string;
  readonly method: string;
  /** The request as the caller passed it. It is already encoded: changing it changes nothing sent. */
  readonly request: unknown;
  /**
   * The headers the request will carry (the caller's, plus trace headers inherited from the
   * handler making the call). An interceptor adds or replaces entries before calling `next`.
   */
  readonly headers: Record<string, string>;
  /** Absolute deadline across every attempt, epoch ms (`Infinity` for an event, and for a stream that sets none). */
  readonly deadline: number;
  /** Call id (uuid v7), the same on every attempt. */
  readonly callId: string;
  /** The topic requests are published to (`serviceTopic(service)`). */
  readonly topic: string;
  /** The attempt being sent or awaited: 0 until the first is sent, then 1, 2, ... */
  readonly attempt: number;
  /**
   * Watches every attempt of this call: `watcher` runs as each attempt is sent, and the function
   * it returns (if any) when that attempt ends, with the error that ended it or `undefined` for
   * the reply. Register it before calling `next`.
   */
  watchAttempts(watcher: AttemptWatcher): void;
}

/** One attempt of an outgoing call, as it is sent. */
export interface OutgoingAttempt {
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** The publish's message id: `<call id>:<attempt>`. */
  readonly messageId: string;
  readonly topic: string;
  /** When this attempt times out, epoch ms. */
  readonly deadline: number;
  /** This attempt's own copy of the call's headers: entries added here travel with this attempt only. */
  readonly headers: Record<string, string>;
}

export type AttemptWatcher = (attempt: OutgoingAttempt) => ((error: Error | undefined) => void) | void;

/**
 * Wraps every outgoing call of a runtime. Call `next()` to go on down the chain (and in the end
 * send the request); what it resolves with is the response. Return a value without calling
 * `next` to answer the call yourself, or throw to fail it. Observe latency and outcome by
 * awaiting `next()`.
 *
 * A stream (`call.kind === "stream"`) goes through the same chain when it is opened: `next()`
 * sends its request and settles when the stream ends, resolving with the number of items
 * received (also when the consumer stopped with `break`) or rejecting with the error that ended
 * it. Throwing before `next()` refuses the stream (its first `next()` rejects with that error);
 * returning without calling `next()` fails it with `INVALID_ARGUMENT`, since a stream cannot be
 * answered with one value. What an interceptor returns after `next()` changes nothing.
 */
export type ClientInterceptor = (call: OutgoingCall, next: () => Promise<unknown>) => Promise<unknown>;

/** A request about to be handled, as the server's interceptors see it. */
export interface IncomingCall {
  /** `"stream"` for the start of a stream method's run, `"event"` for an event (no reply), `"call"` otherwise. */
  readonly kind: "call" | "stream" | "event";
  /** For a stream, the items sent so far (the total once `next()` has settled); undefined for a call. */
  readonly items: number | undefined;
  readonly service: string;
  readonly method: string;
  /** The decoded (and validated) request the handler will get. */
  readonly request: unknown;
  /**
   * The request's headers, as the handler's `context.headers` will hold them: an interceptor may
   * add entries for the handler (an authenticated user, say). `traceparent` and `tracestate` are
   * inherited by the calls the handler makes.
   */
  readonly headers: Record<string, string>;
  /** Which attempt of the caller this is (1 = first). */
  readonly attempt: number;
  /** Absolute deadline, epoch ms (`Infinity` when the caller set none, such as an event). */
  readonly deadline: number;
  readonly callId: string;
  /** How often the broker has delivered this message (1 = first). */
  readonly deliveryCount: number;
  readonly topic: string;
  readonly partition: number;
  /** The consumer group serving the request. */
  readonly group: string;
  /** The context the handler will run with. */
  readonly context: CallContext;
}

/**
 * Wraps every handler run of one `serve`. Call `next()` to go on (and in the end run the
 * handler); it resolves with the handler's response or rejects with its error. Return a value
 * without calling `next` to answer for the handler, or throw to fail the request as the handler
 * would (a retryable error is redelivered).
 *
 * A stream (`call.kind === "stream"`) goes through the same chain when it starts: `next()` runs
 * the generator and settles when it is over, resolving with the number of items sent (also when
 * the caller cancelled) or rejecting with the error the stream ended with. Throwing before
 * `next()` refuses the stream: the caller's first `next()` rejects with that error (a stream is
 * never redelivered, retryable or not). Returning without calling `next()` refuses it with
 * `INTERNAL`. What an interceptor returns or throws after `next()` changes nothing: the items and
 * the end are already sent.
 */
export type ServerInterceptor = (call: IncomingCall, next: () => Promise<unknown>) => Promise<unknown>;

/**
 * Runs `call` through `interceptors`, from the first to the last, then `last`. Each step is
 * called only when the one before calls `next`; a step that calls `next` twice gets the same
 * promise (the call goes down the chain once).
 */
export function runChain<C>(interceptors: readonly ((call: C, next: () => Promise<unknown>) => Promise<unknown>)[], call: C, last: () => unknown): Promise<unknown> {
  const step = (index: number): Promise<unknown> => {
    if (index === interceptors.length) return invoke(last);
    const interceptor = interceptors[index]!;
    let downstream: Promise<unknown> | undefined;
    return invoke(() => interceptor(call, () => (downstream ??= step(index + 1))));
  };
  return step(0);
}

/** `fn()` as a promise: a synchronous throw becomes a rejection, a plain value a resolved promise. */
function invoke(fn: () => unknown): Promise<unknown> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Checks an `interceptors` option from plain JavaScript: an array of functions, or nothing. */
export function checkInterceptors<T>(value: readonly T[] | undefined, where: string): readonly T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== "function")) {
    throw new InvalidArgumentError(`${where}: interceptors must be an array of functions, got ${describeValue(value)}`);
  }
  return [...value];
}
