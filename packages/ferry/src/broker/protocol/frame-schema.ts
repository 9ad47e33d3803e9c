import { Op } from "./op.js";
import type { FrameOf } from "./frame-types.js";

/**
 * What a field holds on the wire. `map` and `any` ride as msgpack inside bin, so frames stay
 * flat: a map decodes to a plain object, `any` to whatever value it holds (nil included).
 */
export const FieldKind = {
  String: "string",
  Number: "number",
  Bytes: "bytes",
  Boolean: "boolean",
  Map: "map",
  Any: "any",
} as const;
export type FieldKind = (typeof FieldKind)[keyof typeof FieldKind];

/** The type a field of each kind decodes to (a number is always finite). */
interface KindValue {
  string: string;
  number: number;
  bytes: Uint8Array;
  boolean: boolean;
  map: object;
  any: unknown;
}

/** One field of a frame, after its op. */
export interface FieldSpec<K extends FieldKind = FieldKind, Nil extends boolean = boolean, Added extends boolean = boolean> {
  /** As errors name it: `frame field Publish.topic: expected a string`. */
  readonly name: string;
  readonly kind: K;
  /** Whether nil stands for "none" here. */
  readonly nil: Nil;
  /** Added after version 1, at the end of the frame: an older peer leaves it out. */
  readonly added: Added;
}

function field<const K extends FieldKind>(name: string, kind: K): FieldSpec<K, false, false> {
  return { name, kind, nil: false, added: false };
}

function orNil<const K extends FieldKind>(name: string, kind: K): FieldSpec<K, true, false> {
  return { name, kind, nil: true, added: false };
}

function addedLater<const K extends FieldKind>(name: string, kind: K): FieldSpec<K, false, true> {
  return { name, kind, nil: false, added: true };
}

/**
 * The fields of each op's frame, in order: what `decodeFrame` checks every frame against. Below,
 * the compiler checks each entry against the op's tuple in frame-types.ts, so the two cannot drift.
 */
export const frameSchema = {
  [Op.Hello]: [orNil("token", "string"), field("clientName", "string")],
  [Op.Publish]: [
    field("requestId", "number"),
    field("topic", "string"),
    field("bytes", "bytes"),
    orNil("key", "string"),
    orNil("expiresAt", "number"),
    field("requireConsumer", "boolean"),
    addedLater("lazyConfirm", "boolean"),
    addedLater("durable", "boolean"),
  ],
  [Op.Consume]: [field("requestId", "number"), field("subscriptionId", "number"), field("topic", "string"), field("group", "string"), field("prefetch", "number"), field("ordered", "boolean")],
  [Op.Unsubscribe]: [field("requestId", "number"), field("subscriptionId", "number")],
  [Op.Ack]: [field("deliveryTag", "number")],
  [Op.Nack]: [field("deliveryTag", "number"), field("delayMs", "number"), orNil("errorCode", "string"), orNil("errorMessage", "string")],
  [Op.Reject]: [field("deliveryTag", "number"), field("errorCode", "string"), field("errorMessage", "string")],
  [Op.OpenReplyQueue]: [field("requestId", "number"), orNil("name", "string"), orNil("secret", "string")],
  [Op.CloseReplyQueue]: [field("name", "string")],
  [Op.Reply]: [field("queue", "string"), field("bytes", "bytes")],
  [Op.DeclareTopic]: [field("requestId", "number"), field("topic", "string"), field("options", "map")],
  [Op.Stats]: [field("requestId", "number")],
  [Op.Ping]: [],
  [Op.ReplyAck]: [field("deliveryTag", "number"), field("queue", "string"), field("bytes", "bytes")],
  [Op.Browse]: [field("requestId", "number"), field("topic", "string"), orNil("after", "string"), field("limit", "number")],
  [Op.Remove]: [field("requestId", "number"), field("topic", "string"), field("ids", "any")],
  [Op.Welcome]: [field("brokerVersion", "string")],
  [Op.Ok]: [field("requestId", "number"), field("result", "any")],
  [Op.Error]: [field("requestId", "number"), field("error", "map")],
  [Op.Delivery]: [
    field("subscriptionId", "number"),
    field("deliveryTag", "number"),
    field("partition", "number"),
    field("offset", "number"),
    field("deliveryCount", "number"),
    field("maxDeliveries", "number"),
    orNil("key", "string"),
    field("bytes", "bytes"),
  ],
  [Op.ReplyMessage]: [field("queue", "string"), field("bytes", "bytes")],
  [Op.Pong]: [],
  [Op.Fatal]: [field("error", "map")],
  [Op.Confirmed]: [field("requestId", "number")],
} as const satisfies { readonly [K in Op]: readonly FieldSpec[] };

// The compile-time check: the tuple each schema entry describes must be the op's frame type.

type FieldValue<S> = S extends FieldSpec<infer K, infer Nil> ? KindValue[K] | (Nil extends true ? null : never) : never;
type FieldsOf<S> = S extends readonly [infer Head, ...infer Rest]
  ? Head extends FieldSpec<FieldKind, boolean, true>
    ? [FieldValue<Head>?, ...FieldsOf<Rest>]
    : [FieldValue<Head>, ...FieldsOf<Rest>]
  : [];
type SchemaFrame<K extends Op> = [K, ...FieldsOf<(typeof frameSchema)[K]>];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Ops whose schema entry and frame type disagree. */
type Disagreeing = { [K in Op]: Same<FrameOf<K>, SchemaFrame<K>> extends true ? never : K }[Op];
type NoneOf<T extends never> = T;
/** Fails to compile, naming the op codes, when an entry and its frame type disagree. */
export type SchemaMatchesFrameTypes = NoneOf<Disagreeing>;
