import { decodeValue, encodeValue } from "../../core/wire/codec.js";
import { MalformedMessageError } from "../../core/errors.js";
import { FlatReader, FlatWriter, type StringCache } from "../../core/wire/flat-msgpack.js";

/**
 * Frames between a client and the TCP broker. Each is a flat msgpack array `[op, ...fields]`
 * behind a 4-byte length. Requests carry a `requestId` the broker answers with `Ok` or `Error`; the rest
 * need no answer. Message bytes ride as msgpack `bin`, untouched.
 */
export const Op = {
  // client -> broker
  Hello: 1,
  Publish: 2,
  Consume: 3,
  Unsubscribe: 4,
  Ack: 5,
  Nack: 6,
  Reject: 7,
  OpenReplyQueue: 8,
  CloseReplyQueue: 9,
  Reply: 10,
  DeclareTopic: 11,
  Stats: 12,
  Ping: 13,
  ReplyAck: 14,
  // broker -> client
  Welcome: 20,
  Ok: 21,
  Error: 22,
  Delivery: 23,
  ReplyMessage: 24,
  Pong: 25,
  Fatal: 26,
  Confirmed: 27,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

/**
 * Field layout of each frame after its op: `s` string, `n` finite number, `b` bytes, `B` boolean,
 * `o` map, `a` any; a trailing `?` allows nil. Checked on every frame decoded.
 */
const layouts: Record<Op, string[]> = {
  [Op.Hello]: ["s?", "s"], // token, client name
  [Op.Publish]: ["n", "s", "b", "s?", "n?", "B", "B", "B"], // requestId, topic, bytes, key, expiresAt, requireConsumer, lazyConfirm, durable
  [Op.Consume]: ["n", "n", "s", "s", "n", "B"], // requestId, subscriptionId (chosen by the client), topic, group, prefetch, ordered
  [Op.Unsubscribe]: ["n", "n"], // requestId, subscriptionId
  [Op.Ack]: ["n"], // deliveryTag
  [Op.Nack]: ["n", "n", "s?", "s?"], // deliveryTag, delayMs, error code, error message
  [Op.Reject]: ["n", "s", "s"], // deliveryTag, error code, error message
  [Op.OpenReplyQueue]: ["n", "s?", "s?"], // requestId, and to take a queue back after a reconnect: its name and secret
  [Op.CloseReplyQueue]: ["s"], // name
  [Op.Reply]: ["s", "b"], // queue, bytes
  [Op.DeclareTopic]: ["n", "s", "o"], // requestId, topic, options
  [Op.Stats]: ["n"], // requestId
  [Op.Ping]: [],
  [Op.ReplyAck]: ["n", "s", "b"], // deliveryTag, queue, bytes: Reply, then Ack
  [Op.Welcome]: ["s"], // broker version
  [Op.Ok]: ["n", "a"], // requestId, result
  [Op.Error]: ["n", "o"], // requestId, wire error
  [Op.Delivery]: ["n", "n", "n", "n", "n", "n", "s?", "b"], // subscriptionId, deliveryTag, partition, offset, deliveryCount, maxDeliveries, key, bytes
  [Op.ReplyMessage]: ["s", "b"], // queue, bytes
  [Op.Pong]: [],
  [Op.Fatal]: ["o"], // wire error; the connection closes after it
  [Op.Confirmed]: ["n"], // requestId: every request up to it not answered on its own succeeded
};

/**
 * Fields an op gained after version 1, at the end of its layout: a frame from an older client
 * may leave them out (they decode as null).
 */
const addedFields: Partial<Record<Op, number>> = {
  [Op.Publish]: 2, // lazyConfirm, durable
};

/** A decoded frame: its op and fields, checked against the op's layout. */
export type Frame = [Op, ...unknown[]];

/** Nesting a map field may have (stats are the deepest: topics, groups, partitions). */
const NESTED_MAX_DEPTH = 12;
/** Bytes reserved for the length prefix. */
const PREFIX_BYTES = 4;

/** What decoding needs per op, worked out once: field names for errors, and string caches. */
interface OpShape {
  layout: string[];
  /** "op.field", as errors name it. */
  fieldNames: string[];
  /** Topic and queue names repeat frame after frame: each string field decodes a repeat once. */
  stringCaches: (StringCache | undefined)[];
  /** Whether a field is a map or any value, which rides as msgpack inside bin. */
  nested: boolean;
}

const shapes = new Map<number, OpShape>(
  Object.entries(layouts).map(([op, layout]) => [
    Number(op),
    {
      layout,
      fieldNames: layout.map((_, i) => `${op}.${i + 1}`),
      stringCaches: layout.map((spec) => (spec[0] === "s" ? FlatReader.stringCache() : undefined)),
      nested: layout.some((spec) => spec[0] === "o" || spec[0] === "a"),
    },
  ]),
);

/**
 * Encodes a frame with its length prefix, ready to write. Fields are written flat, by hand (as
 * envelopes are); a map field (`o`, `a`) rides as msgpack inside bin.
 */
export function encodeFrame(frame: Frame): Buffer {
  return writeFrame(frame).finish();
}

/**
 * Like `encodeFrame`, left in a shared scratch buffer: its `length`, and `copyTo` to move it
 * where it goes. Valid only until the next frame or envelope is encoded.
 */
export function encodeFrameInPlace(frame: Frame): Pick<FlatWriter, "length" | "copyTo"> {
  return writeFrame(frame);
}

function writeFrame(frame: Frame): FlatWriter {
  const shape = shapes.get(frame[0])!;
  let values: unknown[] = frame;
  if (shape.nested) {
    values = frame.slice();
    for (let i = 1; i < values.length; i++) {
      const kind = shape.layout[i - 1]![0];
      if ((kind === "o" || kind === "a") && values[i] !== null && values[i] !== undefined) values[i] = encodeValue(values[i]);
    }
  }
  let size = 16;
  for (let i = 1; i < values.length; i++) {
    const value = values[i];
    size += typeof value === "string" ? FlatWriter.stringSize(value) : value instanceof Uint8Array ? FlatWriter.binSize(value) : 9;
  }
  const writer = new FlatWriter(size, PREFIX_BYTES);
  writer.arrayHeader(values.length);
  writer.uint(frame[0]);
  for (let i = 1; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) writer.nil();
    else if (typeof value === "string") writer.string(value);
    else if (typeof value === "number") writer.number(value);
    else if (typeof value === "boolean") writer.bool(value);
    else writer.bin(value as Uint8Array);
  }
  return writer.writeLengthPrefix();
}

/** Decodes and checks one frame; throws `MalformedMessageError` naming what is wrong. */
export function decodeFrame(bytes: Uint8Array, maxFrameBytes: number): Frame {
  const reader = new FlatReader(bytes, "frame");
  const count = reader.arrayHeader();
  const op = reader.uintOrNil("op") as Op | undefined;
  const shape = op === undefined ? undefined : shapes.get(op);
  if (shape === undefined) throw new MalformedMessageError(`unknown frame op ${String(op)}`);
  const { layout, fieldNames, stringCaches } = shape;
  const fields = count - 1;
  if (fields > layout.length || fields < layout.length - (addedFields[op!] ?? 0)) {
    throw new MalformedMessageError(`frame op ${op} needs ${layout.length} fields, got ${fields}`);
  }
  // Sized once (fields a shorter, older frame leaves out stay null).
  const frame = new Array<unknown>(layout.length + 1).fill(null) as Frame;
  frame[0] = op!;
  for (let i = 0; i < fields; i++) {
    const spec = layout[i]!;
    const field = fieldNames[i]!;
    if (reader.nilNext()) {
      if (!spec.endsWith("?") && spec[0] !== "a") throw new MalformedMessageError(`frame op ${op} field ${i + 1}: expected ${describe(spec)}`);
      continue;
    }
    switch (spec[0]) {
      case "s": frame[i + 1] = reader.string(field, stringCaches[i]); break;
      case "n": frame[i + 1] = reader.number(field); break;
      case "b": frame[i + 1] = reader.bin(field); break;
      case "B": frame[i + 1] = reader.bool(field); break;
      default: {
        const nested = decodeValue(reader.bin(field)!, { maxBytes: maxFrameBytes, maxDepth: NESTED_MAX_DEPTH });
        if (spec[0] === "o" && (typeof nested !== "object" || nested === null || Array.isArray(nested))) {
          throw new MalformedMessageError(`frame op ${op} field ${i + 1}: expected a map`);
        }
        frame[i + 1] = nested;
      }
    }
  }
  reader.end();
  return frame;
}

function describe(spec: string): string {
  const name = { s: "a string", n: "a number", b: "bytes", B: "a boolean", o: "a map", a: "anything" }[spec[0] as "s"];
  return spec.endsWith("?") ? `${name} or nil` : name;
}
