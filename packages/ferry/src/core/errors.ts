/**
 * Typed errors with stable codes. Every error Ferry raises, locally or on behalf of a remote
 * handler, is a `FerryError` whose `code` is one of `ErrorCode` (or, for an application's own
 * error, the code its handler gave it) and survives the wire, so callers branch on codes and
 * never on message text. How an error crosses the wire is in `wire-error.ts`.
 */
export const ErrorCode = {
  /** No reply within the attempt's timeout. */
  Timeout: "TIMEOUT",
  /** Nothing consumes the service's topic. */
  NoResponders: "NO_RESPONDERS",
  /** A request, option or argument that is not what it should be. */
  InvalidArgument: "INVALID_ARGUMENT",
  IdempotencyMismatch: "IDEMPOTENCY_MISMATCH",
  QueueFull: "QUEUE_FULL",
  Cancelled: "CANCELLED",
  DeadlineExceeded: "DEADLINE_EXCEEDED",
  /** The broker, the link or a dependency is down for now: retrying may succeed. */
  Unavailable: "UNAVAILABLE",
  /** A handler threw something with no code of its own (a plain `Error`). */
  Remote: "REMOTE",
  /** The service does not implement the method (or a different service got the request). */
  Unimplemented: "UNIMPLEMENTED",
  MalformedMessage: "MALFORMED_MESSAGE",
  PayloadTooLarge: "PAYLOAD_TOO_LARGE",
  Closed: "CLOSED",
  /** Something outside the contract: an unencodable response, a reply that breaks its schema, a bug. */
  Internal: "INTERNAL",
  /** The broker refused the client: a token missing or wrong, or no `Hello` in time. */
  Unauthenticated: "UNAUTHENTICATED",
  /** A peer broke a protocol: a TCP frame out of place (the broker closed its connection), or a stream message out of order or beyond its credit (that stream ended). */
  ProtocolError: "PROTOCOL_ERROR",
  /** A client stopped reading and its outbound buffer passed the broker's limit; it was cut off. */
  SlowConsumer: "SLOW_CONSUMER",
  /** A connection sent nothing for the broker's `idleTimeoutMs` and was closed. */
  IdleTimeout: "IDLE_TIMEOUT",
  // Reasons a dead letter (`DeadLetter.error`) records when no handler error is known.
  /** A delivery was not acknowledged within the topic's `ackTimeoutMs`. */
  AckTimeout: "ACK_TIMEOUT",
  /** The consumer left its group while holding the message. */
  ConsumerLeft: "CONSUMER_LEFT",
  /** The consumer's delivery callback threw. */
  ConsumerError: "CONSUMER_ERROR",
  /** The consumer handed the message back without saying why. */
  Nacked: "NACKED",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes a client may retry (with the same idempotency key) without changing the request. */
const retryableCodes: ReadonlySet<string> = new Set([
  ErrorCode.Timeout,
  ErrorCode.NoResponders,
  ErrorCode.QueueFull,
  ErrorCode.Unavailable,
]);

export interface FerryErrorOptions {
  /** Whether retrying the same request may succeed. Defaults from the code. */
  retryable?: boolean;
  /** Structured details for the caller (must be msgpack-serialisable). */
  data?: unknown;
  cause?: unknown;
}

/** The base of every error Ferry raises: a stable `code`, `retryable`, optional `data` and `cause`. */
export class FerryError extends Error {
  override name = "FerryError";
  readonly code: string;
  readonly retryable: boolean;
  readonly data: unknown;
  /**
   * Set on an error that came over the wire when some of the thrower's properties could not
   * come along (too large, or not msgpack-serialisable): their names. Absent otherwise.
   */
  declare readonly droppedFields?: readonly string[];

  constructor(code: string, message: string, options: FerryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? retryableCodes.has(code);
    this.data = options.data;
  }
}

export class TimeoutError extends FerryError {
  override name = "TimeoutError";
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCode.Timeout, message, options);
  }
}

export class NoRespondersError extends FerryError {
  override name = "NoRespondersError";
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCode.NoResponders, message, options);
  }

  static forTopic(topic: string): NoRespondersError {
    return new NoRespondersError(`no consumer is subscribed to ${topic}`);
  }
}

export class InvalidArgumentError extends FerryError {
  override name = "InvalidArgumentError";
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCode.InvalidArgument, message, options);
  }
}

export class IdempotencyMismatchError extends FerryError {
  override name = "IdempotencyMismatchError";
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCode.IdempotencyMismatch, message, options);
  }
}

export class QueueFullError extends FerryError {
  override name = "QueueFullError";
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCode.QueueFull, message, options);
  }
}

export class CancelledError extends FerryError {
  override name = "CancelledError";
  constructor(message = "the call was cancelled", options?: FerryErrorOptions) {
    super(ErrorCode.Cancelled, message, options);
  }
}

export class DeadlineExceededError extends FerryError {
  override name = "DeadlineExceededError";
  constructor(message = "the call's deadline passed", options?: FerryErrorOptions) {
    super(ErrorCode.DeadlineExceeded, message, options);
  }
}

export class UnavailableError extends FerryError {
  override name = "UnavailableError";
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCode.Unavailable, message, options);
  }
}

/**
 * The link dropped after a publish was sent and before the broker confirmed it: the broker may
 * or may not have taken it. A call with no retry left waits for its reply (or its timeout)
 * instead of failing a request that may be running.
 */
export class UnconfirmedError extends UnavailableError {
  override name = "UnconfirmedError";
}

/** The service has no such method, or the request reached a server of another service. */
export class UnimplementedError extends FerryError {
  override name = "UnimplementedError";
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCode.Unimplemented, message, options);
  }
}

/** The broker refused the client's credentials; the connection ends for good (no reconnect). */
export class UnauthenticatedError extends FerryError {
  override name = "UnauthenticatedError";
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCode.Unauthenticated, message, options);
  }
}

/** A peer broke a protocol: the TCP protocol (the broker closed that connection), or a stream's (a gap, an item beyond its credit, a hostile credit; that stream ended). */
export class ProtocolError extends FerryError {
  override name = "ProtocolError";
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCode.ProtocolError, message, options);
  }
}

/** The broker cut off a client that stopped reading (its outbound buffer passed the limit). */
export class SlowConsumerError extends FerryError {
  override name = "SlowConsumerError";
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCode.SlowConsumer, message, options);
  }
}

/** Something outside the contract: an unencodable response, a reply that breaks its schema, a bug. */
export class InternalError extends FerryError {
  override name = "InternalError";
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCode.Internal, message, options);
  }
}

export class MalformedMessageError extends FerryError {
  override name = "MalformedMessageError";
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCode.MalformedMessage, message, options);
  }
}

export class PayloadTooLargeError extends FerryError {
  override name = "PayloadTooLargeError";
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCode.PayloadTooLarge, message, options);
  }

  static of(sizeBytes: number, maxBytes: number): PayloadTooLargeError {
    return new PayloadTooLargeError(`message of ${sizeBytes} bytes exceeds the limit of ${maxBytes} bytes`, { data: { sizeBytes, maxBytes } });
  }
}

export class ClosedError extends FerryError {
  override name = "ClosedError";
  constructor(message: string, options?: FerryErrorOptions) {
    super(ErrorCode.Closed, message, options);
  }
}

/**
 * An error thrown by a remote handler whose code has no class here (and whose class the caller
 * did not register): carried back with its code, message, data, and, as set by `fromWireError`,
 * its remote `name` and own fields.
 */
export class RemoteError extends FerryError {
  override name = "RemoteError";
  constructor(message: string, options?: FerryErrorOptions & { code?: string }) {
    super(options?.code ?? ErrorCode.Remote, message, options);
  }
}

/**
 * `error` itself if it is a `FerryError`; anything else (a bug, or a library's own error that
 * escaped a transport) becomes an `InternalError` saying what was being done, with `error` as
 * its `cause`.
 */
export function asFerryError(error: unknown, doing: string): FerryError {
  if (error instanceof FerryError) return error;
  return new InternalError(`${doing}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
