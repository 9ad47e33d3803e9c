import { expect } from "chai";
import { InvalidArgumentError } from "../../packages/ferry/src/core/errors.js";
import { NatsTransport } from "../../packages/ferry/src/transports/nats/nats-transport.js";
import { rejection } from "../support/wait.js";
import { useNatsServer } from "../support/nats-server.js";

/** What nats.js gathers before it writes at once: its hidden `pendingLimit`, which `writeBatchBytes` sets. */
function gatheredBytesLimit(transport: NatsTransport): number {
  return (transport.nc as unknown as { protocol: { pendingLimit: number } }).protocol.pendingLimit;
}

describe("nats writeBatchBytes", function () {
  const natsUrl = useNatsServer();

  // nats.js reads `pendingLimit` without declaring it: if a release stops reading it, this fails.
  it("sets how many bytes nats.js gathers before it writes: 8 KiB unless given", async () => {
    const byDefault = await NatsTransport.connect({ url: natsUrl(), prefix: "writebatch" });
    const given = await NatsTransport.connect({ url: natsUrl(), prefix: "writebatch", writeBatchBytes: 32 * 1024 });
    try {
      expect(gatheredBytesLimit(byDefault)).to.equal(8 * 1024);
      expect(gatheredBytesLimit(given)).to.equal(32 * 1024);
    } finally {
      await byDefault.close();
      await given.close();
    }
  });

  for (const bad of [0, -1, 1.5, Number.NaN, "8192" as unknown as number]) {
    it(`refuses ${typeof bad === "string" ? JSON.stringify(bad) : String(bad)} with an InvalidArgumentError naming the option`, async () => {
      const error = await rejection(NatsTransport.connect({ url: natsUrl(), prefix: "writebatch", writeBatchBytes: bad }));
      expect(error).to.be.instanceOf(InvalidArgumentError);
      expect((error as Error).message).to.contain("writeBatchBytes");
    });
  }
});
