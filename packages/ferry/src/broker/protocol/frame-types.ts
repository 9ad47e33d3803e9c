import type { Op } from "./op.js";

/*
 * One tuple per op: `[op, ...fields]`, as the frame is on the wire. `decodeFrame` checks every
 * field against the op's schema (frame-schema.ts, which the compiler holds to these types), so a
 * `switch (frame[0])` narrows a frame to its tuple and every field read is typed.
 *
 * A map field (`object`) is a msgpack map: decoded, it is a plain object, never null or an array;
 * what keys it has is for its reader to check. Optional trailing fields were added after version
 * 1: an older peer leaves them out, and they decode as absent.
 */

// client -> broker

export type HelloFrame = [op: typeof Op.Hello, token: string | null, clientName: string];
export type PublishFrame = [
  op: typeof Op.Publish,
  requestId: number,
  topic: string,
  bytes: Uint8Array,
  key: string | null,
  /** Epoch ms. */
  expiresAt: number | null,
  requireConsumer: boolean,
  lazyConfirm?: boolean,
  durable?: boolean,
];
/** The client picks `subscriptionId`, so deliveries that overtake the `Ok` carry an id it knows. */
export type ConsumeFrame = [op: typeof Op.Consume, requestId: number, subscriptionId: number, topic: string, group: string, prefetch: number, ordered: boolean];
export type UnsubscribeFrame = [op: typeof Op.Unsubscribe, requestId: number, subscriptionId: number];
export type AckFrame = [op: typeof Op.Ack, deliveryTag: number];
export type NackFrame = [op: typeof Op.Nack, deliveryTag: number, delayMs: number, errorCode: string | null, errorMessage: string | null];
export type RejectFrame = [op: typeof Op.Reject, deliveryTag: number, errorCode: string, errorMessage: string];
/** With a name and secret, takes back the queue a dropped connection held. */
export type OpenReplyQueueFrame = [op: typeof Op.OpenReplyQueue, requestId: number, name: string | null, secret: string | null];
export type CloseReplyQueueFrame = [op: typeof Op.CloseReplyQueue, name: string];
export type ReplyFrame = [op: typeof Op.Reply, queue: string, bytes: Uint8Array];
/** `options` are `TopicOptions`; the broker checks them as it would any caller's. */
export type DeclareTopicFrame = [op: typeof Op.DeclareTopic, requestId: number, topic: string, options: object];
export type StatsFrame = [op: typeof Op.Stats, requestId: number];
export type PingFrame = [op: typeof Op.Ping];
/** A `Reply`, then an `Ack` of the delivery it answers: one frame instead of two. */
export type ReplyAckFrame = [op: typeof Op.ReplyAck, deliveryTag: number, queue: string, bytes: Uint8Array];
/** Answered with `Ok` and a `BrowsePage`. */
export type BrowseFrame = [op: typeof Op.Browse, requestId: number, topic: string, after: string | null, limit: number];
/** `ids` is an array of the ids `Browse` gave; answered with `Ok` and how many were removed. */
export type RemoveFrame = [op: typeof Op.Remove, requestId: number, topic: string, ids: unknown];

// broker -> client

export type WelcomeFrame = [op: typeof Op.Welcome, brokerVersion: string];
export type OkFrame = [op: typeof Op.Ok, requestId: number, result: unknown];
/** `error` is a `WireError`; the client reads it as one, and says so if it is not. */
export type ErrorFrame = [op: typeof Op.Error, requestId: number, error: object];
export type DeliveryFrame = [
  op: typeof Op.Delivery,
  subscriptionId: number,
  deliveryTag: number,
  partition: number,
  offset: number,
  deliveryCount: number,
  maxDeliveries: number,
  key: string | null,
  bytes: Uint8Array,
];
export type ReplyMessageFrame = [op: typeof Op.ReplyMessage, queue: string, bytes: Uint8Array];
export type PongFrame = [op: typeof Op.Pong];
/** The connection closes after it; `error` is a `WireError`, as in `ErrorFrame`. */
export type FatalFrame = [op: typeof Op.Fatal, error: object];
/** Every request up to `requestId` that was not answered on its own succeeded. */
export type ConfirmedFrame = [op: typeof Op.Confirmed, requestId: number];

/** What a client sends. */
export type ClientFrame =
  | HelloFrame
  | PublishFrame
  | ConsumeFrame
  | UnsubscribeFrame
  | AckFrame
  | NackFrame
  | RejectFrame
  | OpenReplyQueueFrame
  | CloseReplyQueueFrame
  | ReplyFrame
  | DeclareTopicFrame
  | StatsFrame
  | PingFrame
  | ReplyAckFrame
  | BrowseFrame
  | RemoveFrame;

/** What the broker sends. */
export type BrokerFrame = WelcomeFrame | OkFrame | ErrorFrame | DeliveryFrame | ReplyMessageFrame | PongFrame | FatalFrame | ConfirmedFrame;

/** Any frame, as decoded: which way it went is for the receiver to check (a broker refuses a `Delivery`). */
export type Frame = ClientFrame | BrokerFrame;

/** The frame of one op. */
export type FrameOf<K extends Op> = Extract<Frame, [K, ...unknown[]]>;
