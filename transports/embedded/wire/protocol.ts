import { decodeValue, encodeValue } from "../../../core/codec.js";
import { MalformedMessageError } from "../../../core/errors.js";
import { frameHeader } from "./frame-decoder.js";

/**
 * Frames between a client and the TCP broker. Each is a msgpack array `[op, ...fields]` behind
 * a 4-byte length. Requests carry a `requestId` the broker answers with `Ok` or `Error`; the rest
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
  // broker -> client
  Welcome: 20,
  Ok: 21,
  Error: 22,
  Delivery: 23,
  ReplyMessage: 24,
  Pong: 25,
  Fatal: 26,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

/**
 * Field layout of each frame after its op: `s` string, `n` finite number, `b` bytes, `B` boolean,
 * `o` map, `a` any; a trailing `?` allows nil. Checked on every frame decoded.
 */
const layouts: Record<Op, string[]> = {
  [Op.Hello]: ["s?", "s"], // token, client name
  [Op.Publish]: ["n", "s", "b", "s?", "n?", "B"], // requestId, topic, bytes, key, expiresAt, requireConsumer
  [Op.Consume]: ["n", "n", "s", "s", "n", "B"], // requestId, subscriptionId (chosen by the client), topic, group, prefetch, ordered
  [Op.Unsubscribe]: ["n", "n"], // requestId, subscriptionId
  [Op.Ack]: ["n"], // deliveryTag
  [Op.Nack]: ["n", "n", "s?", "s?"], // deliveryTag, delayMs, error code, error message
  [Op.Reject]: ["n", "s", "s"], // deliveryTag, error code, error message
  [Op.OpenReplyQueue]: ["n", "s?"], // requestId, name to take back after a reconnect
  [Op.CloseReplyQueue]: ["s"], // name
  [Op.Reply]: ["s", "b"], // queue, bytes
  [Op.DeclareTopic]: ["n", "s", "o"], // requestId, topic, options
  [Op.Stats]: ["n"], // requestId
  [Op.Ping]: [],
  [Op.Welcome]: ["s"], // broker version
  [Op.Ok]: ["n", "a"], // requestId, result
  [Op.Error]: ["n", "o"], // requestId, wire error
  [Op.Delivery]: ["n", "n", "n", "n", "n", "n", "s?", "b"], // subscriptionId, deliveryTag, partition, offset, deliveryCount, maxDeliveries, key, bytes
  [Op.ReplyMessage]: ["s", "b"], // queue, bytes
  [Op.Pong]: [],
  [Op.Fatal]: ["o"], // wire error; the connection closes after it
};

/** A decoded frame: its op and fields, checked against the op's layout. */
export type Frame = [Op, ...unknown[]];

/** Nesting a frame may have (stats are the deepest: topics, groups, partitions). */
const FRAME_MAX_DEPTH = 12;

/** Encodes a frame with its length prefix, ready to write. */
export function encodeFrame(frame: Frame): Buffer[] {
  const body = encodeValue(frame) as Buffer;
  return [frameHeader(body.length), body];
}

/** Decodes and checks one frame; throws `MalformedMessageError` naming what is wrong. */
export function decodeFrame(bytes: Uint8Array, maxFrameBytes: number): Frame {
  const frame = decodeValue(bytes, { maxBytes: maxFrameBytes, maxDepth: FRAME_MAX_DEPTH });
  if (!Array.isArray(frame) || frame.length === 0) throw new MalformedMessageError("a frame must be a non-empty array");
  const op = frame[0] as Op;
  const layout = layouts[op];
  if (layout === undefined) throw new MalformedMessageError(`unknown frame op ${String(op)}`);
  if (frame.length !== layout.length + 1) throw new MalformedMessageError(`frame op ${op} needs ${layout.length} fields, got ${frame.length - 1}`);
  for (let i = 0; i < layout.length; i++) {
    if (!fits(frame[i + 1], layout[i]!)) throw new MalformedMessageError(`frame op ${op} field ${i + 1}: expected ${describe(layout[i]!)}`);
  }
  return frame as Frame;
}

function fits(value: unknown, spec: string): boolean {
  if (value === null && spec.endsWith("?")) return true;
  switch (spec[0]) {
    case "s": return typeof value === "string";
    case "n": return typeof value === "number" && Number.isFinite(value);
    case "b": return value instanceof Uint8Array;
    case "B": return typeof value === "boolean";
    case "o": return typeof value === "object" && value !== null && !Array.isArray(value);
    default: return true;
  }
}

function describe(spec: string): string {
  const name = { s: "a string", n: "a number", b: "bytes", B: "a boolean", o: "a map", a: "anything" }[spec[0] as "s"];
  return spec.endsWith("?") ? `${name} or nil` : name;
}
