// The public surface of `ferry/embedded`.
export { Broker, type BrokerOptions } from "./broker.js";
export { InProcessTransport } from "./in-process-transport.js";
export { defaultBroker } from "./default-broker.js";
