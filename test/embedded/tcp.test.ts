import { TcpTransport } from "../../packages/ferry/src/transports/tcp/tcp-transport.js";
import { startBrokerProcess } from "../support/broker-process.js";
import { transportConformance } from "../transport-conformance.js";

// The broker runs in its own process; client and server each have their own connection to it.
transportConformance({
  name: "TCP broker (separate process)",
  async start() {
    const broker = await startBrokerProcess();
    return {
      connect: () => TcpTransport.connect({ url: broker.url }),
      close: () => broker.stop(),
    };
  },
});
