import { Broker } from "../../transports/embedded/broker.js";
import { InProcessTransport } from "../../transports/embedded/in-process-transport.js";
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
