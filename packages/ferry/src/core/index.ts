// The public surface of `ferry` (core). Internals stay reachable only through their modules.
export { RpcClient, type CallOptions, type ClientOptions, type ClientStats, type EmitOptions } from "./client.js";
export { RpcServer, type ServeOptions, type ServerStats } from "./server.js";
export { Ferry, type FerryOptions, type FerryStats } from "./ferry.js";
export {
  defineService,
  method,
  event,
  type MethodDefinition,
  type MethodOptions,
  type MethodKind,
  type MethodSpec,
  type RequestOf,
  type ResponseOf,
  type ServiceDefinition,
  type ServiceHandlers,
  type ValidationIssue,
  type Validator,
} from "./definition.js";
export { currentContext, type CallContext } from "./context.js";
export { MemoryIdempotencyStore, type Claim, type IdempotencyStore, type MemoryIdempotencyStoreOptions, type Outcome } from "./idempotency.js";
export { FERRY, IDEMPOTENCY_STORE, TRANSPORT, inject, injectable, type Provider } from "./di.js";
export { systemClock, type Clock } from "./clock.js";
export { defaultDecodeLimits, decodeValue, encodeValue, type DecodeLimits } from "./wire/codec.js";
export { decodeEnvelope, encodeEnvelope, MessageKind, type Envelope } from "./wire/envelope.js";
export { decodeDeadLetter, type DeadLetter } from "./wire/dead-letter.js";
export { backoffDelay, type BackoffOptions } from "./backoff.js";
export { serviceTopic } from "./topics.js";
export {
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
  UnconfirmedError,
  UnimplementedError,
  type FerryErrorOptions,
} from "./errors.js";
export type { ErrorClass } from "./error-registry.js";
export { maxErrorDetailBytes, maxErrorMessageChars, type WireError } from "./wire/wire-error.js";
export { confirmed } from "./transport.js";
export type {
  BrokerStats,
  ConnectionState,
  ConsumeOptions,
  Delivery,
  GroupPartitionStats,
  GroupStats,
  OverflowPolicy,
  PartitionStats,
  PublishOptions,
  ReplyQueue,
  Subscription,
  TopicOptions,
  TopicStats,
  Transport,
} from "./transport.js";
