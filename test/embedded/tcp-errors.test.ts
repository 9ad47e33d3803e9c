import { expect } from "chai";
import net from "node:net";
import { connect } from "../../packages/ferry/src/connect.js";
import { InvalidArgumentError, SlowConsumerError, UnauthenticatedError, UnconfirmedError } from "../../packages/ferry/src/core/errors.js";
import { startBroker, type RunningBroker } from "../../packages/ferry/src/broker/server/broker-server.js";
import { FrameDecoder } from "../../packages/ferry/src/broker/protocol/frame-decoder.js";
import { decodeFrame, encodeFrame, Op } from "../../packages/ferry/src/broker/protocol/protocol.js";
import { TcpTransport } from "../../packages/ferry/src/transports/tcp/tcp-transport.js";
import { rejection, until } from "../support/wait.js";

describe("TCP broker: why it refuses a client", () => {
  let guarded: RunningBroker;
  beforeEach(async () => {
    guarded = await startBroker({ port: 0, token: "s3cret", log: () => undefined });
  });
  afterEach(() => guarded.close());

  it("tells a missing token from a wrong one, each an UnauthenticatedError naming the broker", async () => {
    const missing = await rejection(connect({ url: guarded.url }));
    expect(missing).to.be.instanceOf(UnauthenticatedError);
    expect(missing.message).to.equal(`the broker at 127.0.0.1:${guarded.port} refused the connection: the broker requires a token and the client sent none`);
    const wrong = await rejection(connect({ url: guarded.url, token: "nope" }));
    expect(wrong).to.be.instanceOf(UnauthenticatedError);
    expect(wrong.message).to.equal(`the broker at 127.0.0.1:${guarded.port} refused the connection: the token does not match the broker's`);
    const good = await connect({ url: guarded.url, token: "s3cret" });
    await good.close();
  });
});

describe("connect with options the runtime refuses", () => {
  it("rejects with InvalidArgumentError and closes the connection it opened", async () => {
    const running = await startBroker({ port: 0, log: () => undefined });
    try {
      const error = await rejection(connect({ url: running.url, errors: [Date as never] }));
      expect(error).to.be.instanceOf(InvalidArgumentError);
      expect(error.message).to.equal("errors: function Date is not a class that extends Error");
      await until(() => running.connections === 0, "the refused runtime's connection to close");
    } finally {
      await running.close();
    }
  });
});

describe("TCP client: a broker that closes the connection with a Fatal frame", () => {
  it("fails the requests in flight naming the broker's reason, with its typed error as the cause", async () => {
    // A stand-in broker: welcomes the client, then answers its first request by cutting it off,
    // as the real one does to a client that stopped reading.
    const server = net.createServer((socket) => {
      const decoder = new FrameDecoder(1024 * 1024);
      socket.on("data", (chunk: Buffer) => {
        for (const bytes of decoder.push(chunk)) {
          const frame = decodeFrame(bytes, 1024 * 1024);
          if (frame[0] === Op.Hello) socket.write(encodeFrame([Op.Welcome, "test"]));
          else if (frame[0] === Op.Stats) {
            socket.end(encodeFrame([Op.Fatal, { code: "SLOW_CONSUMER", message: "outbound buffer passed 8388608 bytes: the client is not reading", retryable: false }]));
          }
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    const transport = await TcpTransport.connect({ url: `ferry://127.0.0.1:${port}`, reconnectInitialMs: 60_000 });
    try {
      const error = await rejection(transport.stats());
      expect(error).to.be.instanceOf(UnconfirmedError);
      expect(error.message).to.equal(
        `the broker at 127.0.0.1:${port} closed the connection before it answered: SLOW_CONSUMER: outbound buffer passed 8388608 bytes: the client is not reading`,
      );
      expect(error.cause).to.be.instanceOf(SlowConsumerError);
    } finally {
      await transport.close();
      server.close();
    }
  });
});
