import { expect } from "chai";
import { ClosedError } from "../../packages/ferry/src/core/errors.js";
import { NatsTransport } from "../../packages/ferry/src/transports/nats/nats-transport.js";
import { rejection } from "../support/wait.js";
import { NatsServer, natsServerAvailable, useNatsServer } from "../support/nats-server.js";

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

describe("nats durable publish on a connection NATS has closed", function () {
  const natsUrl = useNatsServer();

  it("rejects at once with CLOSED instead of retrying until publishRetryMs", async () => {
    const transport = await NatsTransport.connect({ url: natsUrl(), prefix: "closeddurable", publishRetryMs: 600_000 });
    try {
      await transport.declareTopic("svc.Kept", { durable: true });
      await transport.publish("svc.Kept", new Uint8Array([1]), { requireConsumer: false });
      await transport.nc.close();
      // Retrying would outlast the test's timeout: the retry budget is ten minutes.
      const error = await rejection(transport.publish("svc.Kept", new Uint8Array([2]), { requireConsumer: false }));
      expect(error).to.be.instanceOf(ClosedError);
    } finally {
      await transport.close();
    }
  });
});

describe("nats transport closed while NATS is down", function () {
  before(function () {
    if (!natsServerAvailable()) this.skip();
  });

  it("closes its connection instead of reconnecting for ever", async () => {
    const server = await NatsServer.start();
    const transport = await NatsTransport.connect({ url: server.url, prefix: "closedown", reconnectTimeWait: 50 });
    await transport.consume("svc.Down", "Down", () => undefined);
    await server.stop();
    await transport.close();
    expect(transport.nc.isClosed()).to.equal(true);
  });
});
