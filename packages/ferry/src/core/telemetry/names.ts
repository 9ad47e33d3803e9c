/**
 * The names Ferry's spans and metrics use: the OpenTelemetry semantic conventions for RPC
 * (`rpc.*`, release candidate) and messaging (`messaging.*`), and `ferry.*` for what they do not
 * name. README ("Observability") lists each with its meaning.
 */
export const Attr = {
  RpcSystemName: "rpc.system.name",
  RpcMethod: "rpc.method",
  RpcResponseStatusCode: "rpc.response.status_code",
  ErrorType: "error.type",
  MessagingSystem: "messaging.system",
  MessagingOperationType: "messaging.operation.type",
  MessagingOperationName: "messaging.operation.name",
  MessagingDestinationName: "messaging.destination.name",
  MessagingPartitionId: "messaging.destination.partition.id",
  MessagingMessageId: "messaging.message.id",
  MessagingConsumerGroup: "messaging.consumer.group.name",
  DeliveryCount: "messaging.ferry.message.delivery_count",
  Attempt: "ferry.attempt",
  Attempts: "ferry.attempts",
  CallId: "ferry.call_id",
  HowDeduplicated: "ferry.idempotency.outcome",
  StreamItems: "ferry.stream.items",
} as const;

export const Metric = {
  ClientCallDuration: "rpc.client.call.duration",
  ServerCallDuration: "rpc.server.call.duration",
  ClientAttempts: "ferry.client.attempts",
  ClientRetries: "ferry.client.retries",
  ClientTimeouts: "ferry.client.timeouts",
  ServerRedeliveries: "ferry.server.redeliveries",
  ServerDeadLetters: "ferry.server.dead_letters",
  ServerRefused: "ferry.server.refused",
  ServerIdempotencyReplays: "ferry.server.idempotency.replays",
  ServerIdempotencyJoins: "ferry.server.idempotency.joins",
  ClientStreamItems: "ferry.client.stream.items",
  ServerStreamItems: "ferry.server.stream.items",
} as const;

/** `rpc.system.name` of every Ferry span and metric. */
export const rpcSystem = "ferry";

/** The OpenTelemetry instrumentation scope of Ferry's tracer and meter. */
export const instrumentationScope = "ferry";

/**
 * Histogram buckets of call durations, seconds: the conventions' advice (5 ms to 10 s), with
 * buckets below it, since an in-process call takes tens of microseconds.
 */
export const durationBucketsSeconds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** `error.type` (and `rpc.response.status_code`) of a failure: a Ferry error's code, else the error's class name. */
export function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code !== "") return code;
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === "string" && name !== "" ? name : "_OTHER";
}
