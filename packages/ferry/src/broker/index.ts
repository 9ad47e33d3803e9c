// `ferry/broker`: the embedded broker (in-process, or as a TCP server) and the transports that reach it.
export { Broker, type BrokerOptions } from "./broker.js";
export { InProcessTransport } from "../transports/in-process/in-process-transport.js";
export { defaultBroker } from "./default-broker.js";
export { startBroker, type BrokerServerOptions, type RunningBroker } from "./server/broker-server.js";
export { TcpTransport, type TcpTransportOptions } from "../transports/tcp/tcp-transport.js";
