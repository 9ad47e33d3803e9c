import { expect } from "chai";
import { UnavailableError } from "../../packages/ferry/src/core/errors.js";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { NatsTransport } from "../../packages/ferry/src/transports/nats/nats-transport.js";
import { TcpTransport } from "../../packages/ferry/src/transports/tcp/tcp-transport.js";
import { startBrokerProcess, type BrokerProcess } from "../support/broker-process.js";
import { NatsServer, natsServerAvailable } from "../support/nats-server.js";
import { Counter } from "../support/stream-services.js";
import { startStreamServerProcess, type StreamServerProcess } from "../support/stream-server-process.js";
import type { Transport } from "../../packages/ferry/src/core/transport.js";

/** How each transport reaches a broker that outlives the killed server. */
const targets: { name: string; start(): Promise<{ url: string; connect(): Promise<Transport>; stop(): Promise<void> }>; available(): boolean }[] = [
  {
    name: "TCP broker",
    available: () => true,
    async start() {
      const broker: BrokerProcess = await startBrokerProcess();
      return { url: broker.url, connect: () => TcpTransport.connect({ url: broker.url }), stop: () => broker.stop() };
    },
  },
  {
    name: "NATS core",
    available: natsServerAvailable,
    async start() {
      const server = await NatsServer.start();
      return { url: server.url, connect: () => NatsTransport.connect({ url: server.url }), stop: () => server.stop() };
    },
  },
];

for (const target of targets) {
  describe(`streams: a server process killed mid-stream (${target.name})`, function () {
    this.timeout(60_000);
    let stop: (() => Promise<void>) | undefined;
    let server: StreamServerProcess | undefined;
    let client: Ferry | undefined;

    before(function () {
      if (!target.available()) this.skip();
    });

    afterEach(async () => {
      await client?.close();
      await server?.kill();
      await stop?.();
    });

    it("gives the caller every item it received, then UNAVAILABLE, never a silent end", async () => {
      const broker = await target.start();
      stop = broker.stop;
      server = await startStreamServerProcess(broker.url);
      // Real time: the server is another process. A short heartbeat keeps the test short.
      client = new Ferry(await broker.connect(), { streamHeartbeatMs: 200 });
      await client.start();
      const received: number[] = [];
      let failure: Error | undefined;
      try {
        for await (const item of client.stream(Counter.methods.count, {}, { window: 8, timeoutMs: 30_000 })) {
          received.push(item.n);
          // A slow consumer: the server waits for credit with its generator suspended, then dies.
          if (received.length === 20) await server.kill();
        }
      } catch (error) {
        failure = error as Error;
      }
      expect(failure).to.be.instanceOf(UnavailableError);
      expect(failure?.message).to.match(/Counter\.count sent nothing for \d+ ms: its server stopped or is unreachable/);
      // The items that left the server before it died arrived, in order, with no gap.
      expect(received.length).to.be.at.least(20);
      expect(received).to.deep.equal([...Array(received.length).keys()]);
      expect((await client.stats()).client.openStreams).to.equal(0);
    });
  });
}
