import { expect } from "chai";
import { ClosedError } from "../../core/errors.js";
import { NatsTransport } from "../../transports/nats/nats-transport.js";
import { rejection } from "../support/wait.js";
import { useNatsServer } from "../support/nats-server.js";

describe("nats core publish on a connection NATS has closed", function () {
  const natsUrl = useNatsServer();

  it("rejects with a typed ClosedError instead of throwing, for requests and events alike", async () => {
    const transport = await NatsTransport.connect({ url: natsUrl(), prefix: "closedconn" });
    try {
      await transport.publish("svc.Gone", new Uint8Array([1]));
      await transport.nc.close();
      for (const options of [{}, { requireConsumer: true, lazyConfirm: true }]) {
        const error = await rejection(Promise.resolve().then(() => transport.publish("svc.Gone", new Uint8Array([2]), options)));
        expect(error).to.be.instanceOf(ClosedError);
      }
    } finally {
      await transport.close();
    }
  });
});
