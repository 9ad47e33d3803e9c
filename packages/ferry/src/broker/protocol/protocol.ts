/**
 * Frames between a client and the TCP broker. Each is a flat msgpack array `[op, ...fields]`
 * behind a 4-byte length. Requests carry a `requestId` the broker answers with `Ok` or `Error`; the
 * rest need no answer. Message bytes ride as msgpack `bin`, untouched.
 *
 * The op codes are in op.ts, each op's tuple in frame-types.ts and its fields in frame-schema.ts.
 */
export { Op, opName } from "./op.js";
export type {
  AckFrame,
  BrowseFrame,
  RemoveFrame,
  BrokerFrame,
  ClientFrame,
  CloseReplyQueueFrame,
  ConfirmedFrame,
  ConsumeFrame,
  DeclareTopicFrame,
  DeliveryFrame,
  ErrorFrame,
  FatalFrame,
  Frame,
  FrameOf,
  HelloFrame,
  NackFrame,
  OkFrame,
  OpenReplyQueueFrame,
  PingFrame,
  PongFrame,
  PublishFrame,
  RejectFrame,
  ReplyAckFrame,
  ReplyFrame,
  ReplyMessageFrame,
  StatsFrame,
  UnsubscribeFrame,
  WelcomeFrame,
} from "./frame-types.js";
export { decodeFrame } from "./decode-frame.js";
export { encodeFrame, encodeFrameInPlace } from "./encode-frame.js";
export { MalformedFrameError } from "./malformed-frame-error.js";
