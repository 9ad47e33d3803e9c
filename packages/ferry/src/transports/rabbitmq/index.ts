// The public surface of `ferry/rabbitmq`.
export { RabbitMqTransport } from "./rabbitmq-transport.js";
export {
  defaultAmqpUrl,
  defaultMaxReconnectDelayMs,
  defaultQuorumReplicas,
  defaultRabbitMqPrefix,
  defaultReconnectDelayMs,
  type RabbitMqTransportOptions,
} from "./rabbitmq-options.js";
