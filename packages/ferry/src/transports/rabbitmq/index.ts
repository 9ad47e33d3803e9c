// The public surface of `ferry/rabbitmq`.
export { RabbitMqTransport } from "./rabbitmq-transport.js";
export {
  defaultAmqpUrl,
  defaultMaxReconnectDelayMs,
  defaultQuorumReplicas,
  defaultRabbitMqBundle,
  defaultRabbitMqPrefix,
  defaultReconnectDelayMs,
  maxBundleBytes,
  maxBundleItems,
  type RabbitMqTransportOptions,
} from "./rabbitmq-options.js";
