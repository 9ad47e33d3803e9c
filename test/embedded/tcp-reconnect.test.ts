import { expect } from "chai";
import net from "node:net";
import type { ConnectionState } from "../../packages/ferry/src/core/transport.js";
import { startBroker, type RunningBroker } from "../../packages/ferry/src/broker/server/broker-server.js";
import { TcpTransport } from "../../packages/ferry/src/transports/tcp/tcp-transport.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { until } from "../support/wait.js";

describe("TCP client: reconnecting to a full broker", () => {
  let broker: RunningBroker;
  let proxy: TcpProxy | undefined;
  let transport: TcpTransport | undefined;
  let squatter: net.Socket | undefined;
  const logs: string[] = [];

  beforeEach(async () => {
    logs.length = 0;
    broker = await startBroker({ port: 0, maxConnections: 1, log: (line) => logs.push(line) });
  });
  afterEach(async () => {
    squatter?.destroy();
    await transport?.close();
    await proxy?.close();
    await broker.close();
  });

  it("keeps reconnecting when the broker refuses it for a while with a retryable UNAVAILABLE, and gets back in", async () => {
    proxy = await startTcpProxy(broker.port);
    const proxyPort = proxy.port;
    transport = await TcpTransport.connect({ url: `ferry://127.0.0.1:${proxyPort}`, reconnectInitialMs: 10, reconnectMaxMs: 40 });
    let state: ConnectionState = "connected";
    transport.state$.subscribe((next) => (state = next));

    // The link drops, and while the client cannot get through, another socket takes the broker's one slot.
    await proxy.close();
    await until(() => broker.sockets === 0, "the broker sees the client gone");
    squatter = net.connect({ host: "127.0.0.1", port: broker.port });
    await until(() => broker.sockets === 1, "the squatter holds the slot");

    // The way back opens: each attempt now meets the broker's refusal (Fatal UNAVAILABLE, retryable).
    proxy = await startTcpProxy(broker.port, proxyPort);
    await until(() => logs.filter((line) => line.includes("refused")).length >= 2, "two refused attempts", 10_000, 10_000);
    expect(state).to.equal("reconnecting");

    squatter.destroy();
    await until(() => state === "connected", "back in once the slot is free", 10_000, 10_000);
    const stats = await transport.stats();
    expect(stats.replyQueues).to.be.a("number");
  });
});
