import { expect } from "chai";
import { NatsTransport } from "../../packages/ferry/src/transports/nats/nats-transport.js";
import { useNatsServer } from "../support/nats-server.js";

describe("nats durable publish ids", function () {
  const natsUrl = useNatsServer();

  it("stores a message resent with the same id once (Nats-Msg-Id), and one with a new id again", async () => {
    const transport = await NatsTransport.connect({ url: natsUrl(), prefix: "dedupe", mode: "durable" });
    try {
      await transport.declareTopic("svc.Once", { partitions: 1 });
      await transport.publish("svc.Once", new Uint8Array([1]), { messageId: "call-1:1" });
      await transport.publish("svc.Once", new Uint8Array([1]), { messageId: "call-1:1" }); // a resend after a lost PubAck
      await transport.publish("svc.Once", new Uint8Array([1]), { messageId: "call-1:2" }); // the call's second attempt
      const topic = (await transport.stats()).topics.find((t) => t.name === "svc.Once")!;
      expect(topic.partitions.reduce((sum, partition) => sum + partition.depth, 0)).to.equal(2);
    } finally {
      await transport.close();
    }
  });
});
