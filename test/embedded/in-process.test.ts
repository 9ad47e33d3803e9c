import { Broker } from "../../packages/ferry/src/broker/broker.js";
import { InProcessTransport } from "../../packages/ferry/src/transports/in-process/in-process-transport.js";
import { transportConformance } from "../transport-conformance.js";

transportConformance({
  name: "in-process embedded broker",
  async start(clock) {
    const broker = new Broker({ clock });
    return {
      connect: async () => new InProcessTransport(broker),
      close: async () => broker.close(),
    };
  },
});
