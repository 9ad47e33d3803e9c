// The public surface of `ferry/embedded`.
export { Broker, type BrokerOptions } from "./broker.js";
export { InProcessTransport } from "./in-process-transport.js";
export { defaultBroker } from "./default-broker.js";
export { startBroker, type BrokerServerOptions, type RunningBroker } from "./wire/broker-server.js";
export { TcpTransport, type TcpTransportOptions } from "./wire/tcp-transport.js";
