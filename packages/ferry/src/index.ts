// `ferry`: the public API. Every name here is documented in README ("The API"); what Ferry's own
// packages share beyond it is in `ferry/internal`, with no stability promise.

// Connecting: a runtime on a broker.
export { connect, type ConnectOptions } from "./connect.js";
export { Ferry, type FerryOptions, type FerryStats } from "./core/ferry.js";
export type { FerryCaller, FerryStreamer, ServedService, ServiceHost } from "./core/ferry-ports.js";
export { FerryStream, type StreamOptions } from "./core/stream/ferry-stream.js";

// Calling and serving.
export type { CallOptions, ClientOptions, ClientStats, EmitOptions } from "./core/client.js";
export type { ServeOptions, ServerStats } from "./core/serve-options.js";
export { currentContext, type CallContext } from "./core/context.js";

// Interceptors, logging and caller stacks (README, "Observability").
export type { AttemptWatcher, ClientInterceptor, IncomingCall, OutgoingAttempt, OutgoingCall, ServerInterceptor } from "./core/interceptors.js";
export { consoleLogger, silentLogger, type Logger } from "./core/logger.js";

// The live service registry: what `ferry.services()` and `ferry.ping()` return.
export type { DiscoveryOptions, MethodInfo, PingReply, ServiceInfo, ServiceInstanceInfo } from "./core/registry/service-info.js";
export type { LastError } from "./core/registry/service-record.js";

// Service definitions (what codegen writes, or `defineService` by hand).
export {
  defineService,
  method,
  event,
  stream,
  type StreamMethodDefinition,
  type StreamSpec,
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
} from "./core/definition.js";

// Idempotency, dependency injection and time.
export { MemoryIdempotencyStore, type Claim, type IdempotencyStore, type MemoryIdempotencyStoreOptions, type Outcome } from "./core/idempotency.js";
export { FERRY, IDEMPOTENCY_STORE, TRANSPORT, type Provider } from "./core/di.js";
// The outbox before the queue (the database one is in `ferry/postgres`).
export { FileOutbox, defaultFileOutboxMaxBytes, type FileOutboxOptions } from "./core/outbox/file-outbox.js";
export {
  defaultOutboxBatch,
  defaultOutboxPollMs,
  type OutboxReceipt,
  type OutboxRelay,
  type OutboxRelayOptions,
  type OutboxRelayStats,
  type OutboxSendOptions,
  type RelaySource,
} from "./core/outbox/outbox.js";
export { systemClock, type Clock } from "./core/clock.js";
export type { DecodeLimits } from "./core/wire/codec.js";
export type { BackoffOptions } from "./core/backoff.js";

// Errors.
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
} from "./core/errors.js";
export type { ErrorClass } from "./core/error-registry.js";
export { maxErrorDetailBytes, maxErrorMessageChars } from "./core/wire/wire-error.js";

// Topics and dead letters.
export { deadLetterTopic, serviceTopic } from "./core/topics.js";
export { readDeadLetter, type DeadLetterRecord } from "./core/dead-letters.js";
export {
  DeadLetterQueue,
  defaultDeadLetterListLimit,
  defaultReplayRatePerSecond,
  type DeadLetterEntry,
  type ReplayOptions,
  type ReplayReport,
} from "./core/dead-letter-queue.js";
export type { DeadLetterFilter } from "./core/dead-letter-filter.js";

// The transport contract: what `ferry.transport` is, and what a new transport implements.
export type {
  BrokerStats,
  BrowsedMessage,
  BrowseOptions,
  BrowsePage,
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
} from "./core/transport.js";
