import { encodeValue } from "./codec.js";
import type { ErrorClass, ErrorClasses } from "../error-registry.js";
import {
  CancelledError,
  ClosedError,
  DeadlineExceededError,
  ErrorCode,
  FerryError,
  IdempotencyMismatchError,
  InternalError,
  InvalidArgumentError,
  MalformedMessageError,
  NoRespondersError,
  PayloadTooLargeError,
  ProtocolError,
  QueueFullError,
  RemoteError,
  SlowConsumerError,
  TimeoutError,
  UnauthenticatedError,
  UnavailableError,
  UnimplementedError,
  type FerryErrorOptions,
} from "../errors.js";

/**
 * The wire form of an error: what crosses from a handler (or the broker) to its caller. `name`,
 * `fields` and `dropped` were added after the first version, as optional keys of the same
 * msgpack map: an older peer ignores them, and an error from an older peer lacks them.
 */
export interface WireError {
  code: string;
  message: string;
  retryable: boolean;
  data?: unknown;
  /** The error's `name`, or its class name when the class only inherits its parent's `name`. */
  name?: string;
  /** The thrower's own enumerable properties, except those above and `stack` and `cause`. */
  fields?: Record<string, unknown>;
  /** Properties that were left behind: not msgpack-serialisable, or past `maxErrorDetailBytes`. */
  dropped?: string[];
}

/** A failure rebuilt from the wire: a `FerryError`, or an instance of a registered class with the same three properties. */
export type RemoteFailure = Error & { readonly code: string; readonly retryable: boolean; readonly data?: unknown };

/** Longest message carried, in characters; a longer one is cut, saying how much was left out. */
export const maxErrorMessageChars = 16 * 1024;
/** Longest `name` and `code` carried, in characters. */
export const maxErrorNameChars = 256;
/**
 * Budget for `data` and `fields` together, in msgpack bytes. `data` is taken first, then fields
 * in their own order; whatever does not fit is dropped (and named in `dropped`), so an error
 * never makes its reply too large to send.
 */
export const maxErrorDetailBytes = 64 * 1024;

/** Properties with a meaning of their own on the wire or on the caller's side: never carried as fields. */
const reserved: ReadonlySet<string> = new Set(["name", "message", "stack", "cause", "code", "retryable", "data", "droppedFields", "constructor"]);

/**
 * Turns anything a handler threw into its wire form. A `FerryError` keeps its code; another
 * `Error` keeps a string `code` of its own, else becomes `REMOTE`. The name and own enumerable
 * properties come along within the limits above; `stack` and `cause` never do.
 */
export function toWireError(error: unknown): WireError {
  if (!(error instanceof Error)) return { code: ErrorCode.Remote, message: cut(String(error), maxErrorMessageChars), retryable: false };
  const own = error as unknown as Record<string, unknown>;
  const ferry = error instanceof FerryError;
  const dropped: string[] = [];
  let code: string = ErrorCode.Remote;
  if (ferry) code = error.code;
  else if (typeof own["code"] === "string" && own["code"] !== "") code = own["code"];
  else if (Object.hasOwn(error, "code")) dropped.push("code");
  const wire: WireError = {
    code: cut(code, maxErrorNameChars),
    message: cut(String(error.message), maxErrorMessageChars),
    retryable: ferry ? error.retryable : own["retryable"] === true,
    name: cut(nameOf(error), maxErrorNameChars),
  };
  const budget = { bytes: maxErrorDetailBytes };
  const data = ferry ? error.data : Object.hasOwn(error, "data") ? own["data"] : undefined;
  if (data !== undefined) {
    if (fits(data, budget)) wire.data = data;
    else dropped.push("data");
  }
  for (const key of Object.keys(error)) {
    if (reserved.has(key)) continue;
    let value: unknown;
    try {
      value = own[key];
    } catch {
      dropped.push(key); // a getter that throws
      continue;
    }
    if (fits(value, budget)) (wire.fields ??= {})[key] = value;
    else dropped.push(key);
  }
  if (dropped.length > 0) wire.dropped = dropped;
  return wire;
}

/**
 * The name to send. `class InsufficientFunds extends Error {}` leaves `name` at "Error", and a
 * subclass of a Ferry error inherits its parent's: the class name says more, so it is sent
 * instead. A `name` the class (or the instance) set itself is sent as it is.
 */
function nameOf(error: Error): string {
  const name = typeof error.name === "string" ? error.name : "Error";
  const Class = (error as { constructor?: unknown }).constructor;
  if (typeof Class !== "function" || Class.name === "" || Class.name === name) return name;
  for (let parent = Object.getPrototypeOf(Class) as unknown; typeof parent === "function" && parent !== Function.prototype; parent = Object.getPrototypeOf(parent)) {
    if (parent.name === name) return Class.name;
  }
  return name;
}

/** Whether `value` encodes within what is left of the budget; takes its size from the budget if so. */
function fits(value: unknown, budget: { bytes: number }): boolean {
  if (typeof value === "function" || typeof value === "symbol") return false;
  let size: number;
  try {
    size = encodeValue(value).length;
  } catch {
    return false; // not serialisable: a symbol inside, a cycle, ...
  }
  if (size > budget.bytes) return false;
  budget.bytes -= size;
  return true;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length - max} more characters)`;
}

/**
 * Checks a decoded wire error from a peer: the three required fields must be there (else
 * `malformed` says which is wrong); optional ones of the wrong type are left out rather than
 * failing the whole reply.
 */
export function readWireError(value: unknown, malformed: (field: string, expected: string) => Error): WireError {
  const error = value as Partial<Record<keyof WireError, unknown>> | null;
  if (typeof error !== "object" || error === null || Array.isArray(error)) throw malformed("error", "a map");
  if (typeof error.code !== "string") throw malformed("error.code", "a string");
  if (typeof error.message !== "string") throw malformed("error.message", "a string");
  if (typeof error.retryable !== "boolean") throw malformed("error.retryable", "a boolean");
  const wire: WireError = { code: error.code, message: error.message, retryable: error.retryable };
  if (error.data !== undefined) wire.data = error.data;
  if (typeof error.name === "string") wire.name = error.name;
  if (typeof error.fields === "object" && error.fields !== null && !Array.isArray(error.fields)) wire.fields = error.fields as Record<string, unknown>;
  if (Array.isArray(error.dropped) && error.dropped.every((name) => typeof name === "string")) wire.dropped = error.dropped as string[];
  return wire;
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
  [ErrorCode.Unimplemented]: UnimplementedError,
  [ErrorCode.Unauthenticated]: UnauthenticatedError,
  [ErrorCode.ProtocolError]: ProtocolError,
  [ErrorCode.SlowConsumer]: SlowConsumerError,
  [ErrorCode.Internal]: InternalError,
};

/**
 * Rebuilds an error from its wire form, so `instanceof` works on the caller's side too: a class
 * registered under the error's name (`classes`) first, then Ferry's class for its code, else a
 * `RemoteError`. Name, code, message, retryable, data and fields all arrive as they left.
 */
export function fromWireError(wire: WireError, classes?: ErrorClasses): RemoteFailure {
  const registered = wire.name === undefined ? undefined : classes?.get(wire.name);
  const error = registered === undefined ? fromCode(wire) : instantiate(registered, wire);
  if (wire.fields !== undefined) {
    for (const [key, value] of Object.entries(wire.fields)) {
      // Never over a property the error already has (its message, code, a method of its class).
      if (!reserved.has(key) && !(key in error)) Object.defineProperty(error, key, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  if (wire.dropped !== undefined && wire.dropped.length > 0) hide(error, "droppedFields", Object.freeze([...wire.dropped]));
  return error;
}

function fromCode(wire: WireError): FerryError {
  const options = { retryable: wire.retryable, data: wire.data };
  // Own properties only: a code such as "constructor" must not find Object's.
  const ErrorClass = Object.hasOwn(errorClassByCode, wire.code) ? errorClassByCode[wire.code] : undefined;
  const error = ErrorClass ? new ErrorClass(wire.message, options) : new RemoteError(wire.message, { ...options, code: wire.code });
  if (wire.name !== undefined && error.name !== wire.name) {
    hide(error, "name", wire.name);
    // The stack's first line was written with the class's name: write it again with the remote one.
    Error.captureStackTrace(error, fromWireError);
  }
  return error;
}

/**
 * An instance of an application's registered class, made without calling its constructor (whose
 * parameters Ferry cannot know, and which may have side effects): its prototype, then what came
 * over the wire. Like a `FerryError`, it has `code`, `retryable` and `data`.
 */
function instantiate(Class: ErrorClass, wire: WireError): RemoteFailure {
  const error = Object.create(Class.prototype as object) as RemoteFailure;
  hide(error, "message", wire.message);
  // Registered by its name, so the wire name is the class's; set only if the class gives another.
  if (error.name !== wire.name) hide(error, "name", wire.name);
  for (const [key, value] of [["code", wire.code], ["retryable", wire.retryable], ["data", wire.data]] as const) {
    if (key === "data" && value === undefined) continue;
    Object.defineProperty(error, key, { value, enumerable: true, writable: true, configurable: true });
  }
  Error.captureStackTrace(error, fromWireError);
  return error;
}

/** Defines `key` as an own property that does not show in `Object.keys`, as `message` is on any error. */
function hide(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: false, writable: true, configurable: true });
}
