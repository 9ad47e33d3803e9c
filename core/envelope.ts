import { encodeValue, decodeValue, defaultDecodeLimits, type DecodeLimits } from "./codec.js";
import { MalformedMessageError, type WireError } from "./errors.js";

/** What a message is for. */
export const MessageKind = {
  /** A call that expects a reply on `replyTo`. */
  Request: 1,
  /** A fire-and-forget call: no reply. */
  Event: 2,
  /** The outcome of a request: `body` on success, `error` on failure. */
  Reply: 3,
  /** Sent by a server when it starts a cancellable request: `replyTo` is where to send `Cancel`. */
  Started: 4,
  /** Asks the server running call `correlationId` to abort its handler. */
  Cancel: 5,
} as const;
export type MessageKind = (typeof MessageKind)[keyof typeof MessageKind];

/** The unit every hop carries. Fields a kind does not use are absent. */
export interface Envelope {
  kind: MessageKind;
  /** Call id (uuid v7), the same on every attempt of one call. */
  id?: string;
  /** Matches a reply to its pending call on the caller's reply queue. */
  correlationId?: string;
  /** The caller's reply queue. */
  replyTo?: string;
  service?: string;
  method?: string;
  /** Partition (and ordering) key. */
  key?: string;
  /** Dedupes retries: stable across attempts. */
  idempotencyKey?: string;
  /** Absolute deadline, epoch milliseconds. */
  deadline?: number;
  /** 1 for the first attempt. */
  attempt?: number;
  /** Whether the caller holds an AbortSignal and wants a `Started` notice to cancel through. */
  cancellable?: boolean;
  headers?: Record<string, string>;
  /** The request or response value, msgpack-encoded (absent for `void`). */
  body?: Uint8Array;
  error?: WireError;
}

// Fixed positions keep the envelope compact (no field names on the wire) and cheap to decode.
const VERSION = 1;
const FIELD_COUNT = 16;

export function encodeEnvelope(envelope: Envelope): Uint8Array {
  return encodeValue([
    VERSION,
    envelope.kind,
    envelope.id ?? null,
    envelope.correlationId ?? null,
    envelope.replyTo ?? null,
    envelope.service ?? null,
    envelope.method ?? null,
    envelope.key ?? null,
    envelope.idempotencyKey ?? null,
    envelope.deadline ?? null,
    envelope.attempt ?? null,
    envelope.cancellable === true ? true : null,
    envelope.headers ?? null,
    envelope.body ?? null,
    envelope.error ?? null,
    null,
  ]);
}

/** Decodes and checks an envelope from untrusted bytes; throws `MalformedMessageError` naming the bad field. */
export function decodeEnvelope(bytes: Uint8Array, limits: DecodeLimits = defaultDecodeLimits): Envelope {
  const fields = decodeValue(bytes, limits);
  if (!Array.isArray(fields) || fields.length !== FIELD_COUNT) malformed("envelope", "an array of 16 fields");
  if (fields[0] !== VERSION) malformed("version", `version ${VERSION}`);
  const kind = fields[1];
  if (typeof kind !== "number" || kind < MessageKind.Request || kind > MessageKind.Cancel || !Number.isInteger(kind)) {
    malformed("kind", "a message kind");
  }
  const envelope: Envelope = { kind: kind as MessageKind };
  setString(envelope, "id", fields[2]);
  setString(envelope, "correlationId", fields[3]);
  setString(envelope, "replyTo", fields[4]);
  setString(envelope, "service", fields[5]);
  setString(envelope, "method", fields[6]);
  setString(envelope, "key", fields[7]);
  setString(envelope, "idempotencyKey", fields[8]);
  setNumber(envelope, "deadline", fields[9]);
  setNumber(envelope, "attempt", fields[10]);
  if (fields[11] === true) envelope.cancellable = true;
  else if (fields[11] !== null) malformed("cancellable", "true or nil");
  if (fields[12] !== null) envelope.headers = checkHeaders(fields[12]);
  if (fields[13] !== null) {
    if (!(fields[13] instanceof Uint8Array)) malformed("body", "bytes");
    envelope.body = fields[13];
  }
  if (fields[14] !== null) envelope.error = checkError(fields[14]);
  return envelope;
}

function setString(envelope: Envelope, field: "id" | "correlationId" | "replyTo" | "service" | "method" | "key" | "idempotencyKey", value: unknown): void {
  if (value === null) return;
  if (typeof value !== "string") malformed(field, "a string");
  envelope[field] = value;
}

function setNumber(envelope: Envelope, field: "deadline" | "attempt", value: unknown): void {
  if (value === null) return;
  if (typeof value !== "number" || !Number.isFinite(value)) malformed(field, "a finite number");
  envelope[field] = value;
}

function checkHeaders(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) malformed("headers", "a map of strings");
  for (const [name, header] of Object.entries(value as object)) {
    if (typeof header !== "string") malformed(`headers.${name}`, "a string");
  }
  return value as Record<string, string>;
}

function checkError(value: unknown): WireError {
  const error = value as Partial<WireError> | null;
  if (typeof error !== "object" || error === null) malformed("error", "a map");
  if (typeof error.code !== "string") malformed("error.code", "a string");
  if (typeof error.message !== "string") malformed("error.message", "a string");
  if (typeof error.retryable !== "boolean") malformed("error.retryable", "a boolean");
  return error as WireError;
}

function malformed(field: string, expected: string): never {
  throw new MalformedMessageError(`envelope field ${field}: expected ${expected}`);
}
