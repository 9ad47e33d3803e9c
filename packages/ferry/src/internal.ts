// `ferry/internal`: what Ferry's own packages and transports share beyond the public API (the wire
// format, the client and server the runtime is built from). No stability promise: it changes with
// the packages that use it, in any version.
export { RpcClient } from "./core/client.js";
export { RpcServer } from "./core/server.js";
export { backoffDelay } from "./core/backoff.js";
export { hashKey } from "./core/partition.js";
export { deadLetterSuffix } from "./core/topics.js";
export { confirmed } from "./core/transport.js";
export { MessageStream } from "./core/message-stream.js";
export { defaultDecodeLimits, decodeValue, encodeValue } from "./core/wire/codec.js";
export { decodeEnvelope, encodeEnvelope, MessageKind, type Envelope } from "./core/wire/envelope.js";
export { decodeDeadLetter, encodeDeadLetter, type DeadLetter } from "./core/wire/dead-letter.js";
export { fromWireError, toWireError, type WireError } from "./core/wire/wire-error.js";
