/**
 * Typed errors with stable codes. Every error Ferry raises, locally or on behalf of a remote
 * handler, is a `FerryError` whose `code` survives the wire, so callers branch on codes and
 * never on message text.
 */
export const ErrorCode = {
  Timeout: "TIMEOUT",
  NoResponders: "NO_RESPONDERS",
  InvalidArgument: "INVALID_ARGUMENT",
  IdempotencyMismatch: "IDEMPOTENCY_MISMATCH",
  QueueFull: "QUEUE_FULL",
  Cancelled: "CANCELLED",
  DeadlineExceeded: "DEADLINE_EXCEEDED",
  Unavailable: "UNAVAILABLE",
  Remote: "REMOTE",
  /** The service does not implement the method (or a different service got the request). */
  Unimplemented: "UNIMPLEMENTED",
  MalformedMessage: "MALFORMED_MESSAGE",
  PayloadTooLarge: "PAYLOAD_TOO_LARGE",
  Closed: "CLOSED",
  Internal: "INTERNAL",
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

export class FerryError extends Error {
  override name = "FerryError";
  readonly code: string;
  readonly retryable: boolean;
  readonly data: unknown;

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

/** An error thrown by a remote handler, carried back with its code, message and data. */
export class RemoteError extends FerryError {
  override name = "RemoteError";
  constructor(message: string, options?: FerryErrorOptions & { code?: string }) {
    super(options?.code ?? ErrorCode.Remote, message, options);
  }
}

/** The wire form of an error: what crosses from a handler to its caller. */
export interface WireError {
  code: string;
  message: string;
  retryable: boolean;
  data?: unknown;
}

/** Turns anything a handler threw into its wire form; plain errors become `REMOTE`. */
export function toWireError(error: unknown): WireError {
  if (error instanceof FerryError) {
    const wire: WireError = { code: error.code, message: error.message, retryable: error.retryable };
    if (error.data !== undefined) wire.data = error.data;
    return wire;
  }
  if (error instanceof Error) return { code: ErrorCode.Remote, message: error.message, retryable: false };
  return { code: ErrorCode.Remote, message: String(error), retryable: false };
}

const errorClassByCode: Record<string, new (message: string, options?: FerryErrorOptions) => FerryError> = {
  [ErrorCode.Timeout]: TimeoutError,
  [ErrorCode.InvalidArgument]: InvalidArgumentError,
  [ErrorCode.IdempotencyMismatch]: IdempotencyMismatchError,
  [ErrorCode.QueueFull]: QueueFullError,
  [ErrorCode.Cancelled]: CancelledError,
  [ErrorCode.DeadlineExceeded]: DeadlineExceededError,
  [ErrorCode.Unavailable]: UnavailableError,
  [ErrorCode.MalformedMessage]: MalformedMessageError,
  [ErrorCode.NoResponders]: NoRespondersError,
  [ErrorCode.PayloadTooLarge]: PayloadTooLargeError,
  [ErrorCode.Closed]: ClosedError,
};

/** Rebuilds a typed error from its wire form, so `instanceof` works on the caller's side too. */
export function fromWireError(wire: WireError): FerryError {
  const options = { retryable: wire.retryable, data: wire.data };
  // Own properties only: a code such as "constructor" must not find Object's.
  const ErrorClass = Object.hasOwn(errorClassByCode, wire.code) ? errorClassByCode[wire.code] : undefined;
  if (ErrorClass) return new ErrorClass(wire.message, options);
  return new RemoteError(wire.message, { ...options, code: wire.code });
}
