import { decodeValue, defaultDecodeLimits, encodeValue, type DecodeLimits } from "./codec.js";
import { MalformedMessageError, PayloadTooLargeError } from "../errors.js";
import { FlatReader, FlatWriter } from "./flat-msgpack.js";
import { readWireError, type WireError } from "./wire-error.js";

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
  /** Asks the server running call `id` to abort its handler. */
  Cancel: 5,
  /** One item of a streaming reply: `sequence` is its number, from 0, and `body` its value. */
  StreamItem: 6,
  /** The last message of a streaming reply: `sequence` is how many items were sent; `error` when it failed. */
  StreamEnd: 7,
  /**
   * From a stream's caller to the server's control queue, for call `id`: `sequence` is the credit,
   * how many items in all the server may have sent (cumulative). Re-sent unchanged, it is a ping.
   */
  Credit: 8,
  /** A server's answer to a ping on an idle stream: it is alive. */
  Heartbeat: 9,
  /**
   * Several items of a streaming reply, in order: `sequence` is the first one's number, and `body`
   * a msgpack array of the items (see `stream/item-batch.ts`). A server sends the items produced in
   * one turn of its event loop this way, and a lone item as a `StreamItem`.
   */
  StreamItems: 10,
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
  /**
   * Streams only: an item's number (`StreamItem`, the first one's for `StreamItems`), the item count (`StreamEnd`), the cumulative
   * credit (`Credit`), or the initial credit, the window (a `Request` for a stream method).
   * Any number on the wire: the stream code checks it, so a hostile value gets a typed error.
   */
  sequence?: number;
}

/**
 * Wire format, version 1: a msgpack array of 16 fields, in this order:
 *
 *   version, kind, id, correlationId, replyTo, service, method, key, idempotencyKey,
 *   deadline, attempt, cancellable, headers, body, error, sequence
 *
 * Absent fields are nil. `sequence` was a reserved nil before streams: messages without it are
 * byte for byte what they were. `headers`, `body` and `error` are msgpack values carried as `bin`, so
 * the envelope itself is flat (strings, numbers, booleans, bytes). That is what lets it be
 * written and read by hand, several times faster than a general msgpack codec, while staying
 * plain msgpack any tool can inspect. The body is handed on as a view, never copied or decoded
 * here.
 */
const VERSION = 1;
const FIELD_COUNT = 16;

export function encodeEnvelope(envelope: Envelope): Uint8Array {
  const headers = envelope.headers === undefined ? undefined : encodeValue(envelope.headers);
  const error = envelope.error === undefined ? undefined : encodeValue(envelope.error);
  const writer = new FlatWriter(
    32 +
      FlatWriter.stringSize(envelope.id) +
      FlatWriter.stringSize(envelope.correlationId) +
      FlatWriter.stringSize(envelope.replyTo) +
      FlatWriter.stringSize(envelope.service) +
      FlatWriter.stringSize(envelope.method) +
      FlatWriter.stringSize(envelope.key) +
      FlatWriter.stringSize(envelope.idempotencyKey) +
      FlatWriter.binSize(headers) +
      FlatWriter.binSize(envelope.body) +
      FlatWriter.binSize(error),
  );
  writer.arrayHeader(FIELD_COUNT);
  writer.uint(VERSION);
  writer.uint(envelope.kind);
  writer.string(envelope.id);
  writer.string(envelope.correlationId);
  writer.string(envelope.replyTo);
  writer.string(envelope.service);
  writer.string(envelope.method);
  writer.string(envelope.key);
  writer.string(envelope.idempotencyKey);
  writer.float(envelope.deadline);
  writer.uintOrNil(envelope.attempt);
  writer.trueOrNil(envelope.cancellable === true);
  writer.bin(headers);
  writer.bin(envelope.body);
  writer.bin(error);
  if (envelope.sequence === undefined) writer.nil();
  else writer.number(envelope.sequence);
  return writer.finish();
}

// Service, method and reply queue repeat from one message to the next; the reader reuses the
// previous string when the bytes match instead of decoding a new one.
const repeated = { replyTo: FlatReader.stringCache(), service: FlatReader.stringCache(), method: FlatReader.stringCache() };

/** Decodes and checks an envelope from untrusted bytes; throws `MalformedMessageError` naming the bad field. */
export function decodeEnvelope(bytes: Uint8Array, limits: DecodeLimits = defaultDecodeLimits): Envelope {
  if (bytes.length > limits.maxBytes) throw PayloadTooLargeError.of(bytes.length, limits.maxBytes);
  const reader = new FlatReader(bytes, "envelope");
  if (reader.arrayHeader() !== FIELD_COUNT) throw malformed("envelope", "an array of 16 fields");
  if (reader.uintOrNil("version") !== VERSION) throw malformed("version", `version ${VERSION}`);
  const kind = reader.uintOrNil("kind");
  if (kind === undefined || kind < MessageKind.Request || kind > MessageKind.StreamItems) throw malformed("kind", "a message kind");
  const envelope: Envelope = { kind: kind as MessageKind };
  const id = reader.string("id");
  if (id !== undefined) envelope.id = id;
  const correlationId = reader.string("correlationId");
  if (correlationId !== undefined) envelope.correlationId = correlationId;
  const replyTo = reader.string("replyTo", repeated.replyTo);
  if (replyTo !== undefined) envelope.replyTo = replyTo;
  const service = reader.string("service", repeated.service);
  if (service !== undefined) envelope.service = service;
  const method = reader.string("method", repeated.method);
  if (method !== undefined) envelope.method = method;
  const key = reader.string("key");
  if (key !== undefined) envelope.key = key;
  const idempotencyKey = reader.string("idempotencyKey");
  if (idempotencyKey !== undefined) envelope.idempotencyKey = idempotencyKey;
  const deadline = reader.number("deadline");
  if (deadline !== undefined) envelope.deadline = deadline;
  const attempt = reader.uintOrNil("attempt");
  if (attempt !== undefined) envelope.attempt = attempt;
  if (reader.trueOrNil("cancellable")) envelope.cancellable = true;
  const headers = reader.bin("headers");
  if (headers !== undefined) envelope.headers = checkHeaders(decodeValue(headers, limits));
  const body = reader.bin("body");
  if (body !== undefined) envelope.body = body;
  const error = reader.bin("error");
  if (error !== undefined) envelope.error = readWireError(decodeValue(error, limits), malformed);
  const sequence = reader.number("sequence");
  if (sequence !== undefined) envelope.sequence = sequence;
  reader.end();
  return envelope;
}

function checkHeaders(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw malformed("headers", "a map of strings");
  for (const [name, header] of Object.entries(value as object)) {
    if (typeof header !== "string") throw malformed(`headers.${name}`, "a string");
  }
  return value as Record<string, string>;
}

function malformed(field: string, expected: string): MalformedMessageError {
  return new MalformedMessageError(`envelope field ${field}: expected ${expected}`);
}
