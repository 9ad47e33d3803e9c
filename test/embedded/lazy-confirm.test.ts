import { expect } from "chai";
import net from "node:net";
import { once } from "node:events";
import { ErrorCode } from "../../core/errors.js";
import { startBroker, type RunningBroker } from "../../transports/embedded/wire/broker-server.js";
import { FrameDecoder } from "../../transports/embedded/wire/frame-decoder.js";
import { decodeFrame, encodeFrame, Op, type Frame } from "../../transports/embedded/wire/protocol.js";
import { TcpTransport } from "../../transports/embedded/wire/tcp-transport.js";
import { until } from "../support/wait.js";

const MAX_FRAME = 1024 * 1024 + 4096;

/** A raw protocol client: writes frames in one chunk, and collects every frame the broker sends. */
async function rawSession(port: number): Promise<{ received: Frame[]; send(...frames: Frame[]): void; close(): void }> {
  const socket = net.connect({ host: "127.0.0.1", port });
  await once(socket, "connect");
  const decoder = new FrameDecoder(MAX_FRAME);
  const received: Frame[] = [];
  socket.on("data", (chunk: Buffer) => {
    for (const bytes of decoder.push(chunk)) received.push(decodeFrame(bytes, MAX_FRAME));
  });
  return {
    received,
    send: (...frames) => socket.write(Buffer.concat(frames.map(encodeFrame))),
    close: () => socket.destroy(),
  };
}

const publish = (id: number, topic: string, lazy: boolean, requireConsumer = false): Frame => [Op.Publish, id, topic, new Uint8Array([1]), null, null, requireConsumer, lazy];

describe("TCP broker: lazy publish confirms", () => {
  let running: RunningBroker;
  beforeEach(async () => {
    running = await startBroker({ port: 0, log: () => undefined, lazyConfirmMs: 60_000 });
  });
  afterEach(async () => {
    await running.close();
  });

  it("confirms lazy publishes with one Confirmed frame riding after the next answer, and answers eager ones alone", async () => {
    const session = await rawSession(running.port);
    session.send([Op.Hello, null, "test"], publish(1, "t", true), publish(2, "t", true), publish(3, "t", false), publish(4, "t", true), [Op.Stats, 5]);
    await until(() => session.received.some((frame) => frame[0] === Op.Confirmed));
    const ops = session.received.map((frame) => [frame[0], frame[0] === Op.Welcome ? null : frame[1]]);
    expect(ops.map(([op]) => op)).to.deep.equal([Op.Welcome, Op.Ok, Op.Ok, Op.Confirmed]);
    expect(session.received[1]!.slice(0, 2)).to.deep.equal([Op.Ok, 3]);
    expect(session.received[2]!.slice(0, 2)).to.deep.equal([Op.Ok, 5]);
    expect(session.received[3]).to.deep.equal([Op.Confirmed, 4]);
    session.close();
    const published = (await running.broker.stats()).topics.find((topic) => topic.name === "t")!.partitions.reduce((sum, p) => sum + p.published, 0);
    expect(published).to.equal(4);
  });

  it("answers a lazy publish that fails at once, with its own Error frame", async () => {
    const session = await rawSession(running.port);
    session.send([Op.Hello, null, "test"], publish(1, "nobody-listens", true, true));
    await until(() => session.received.length === 2);
    const [, error] = session.received;
    expect(error![0]).to.equal(Op.Error);
    expect(error![1]).to.equal(1);
    expect((error![2] as { code: string }).code).to.equal(ErrorCode.NoResponders);
    session.close();
  });
});

describe("TCP broker: a lazy confirm with no other traffic", () => {
  it("arrives within lazyConfirmMs, and the transport's publish resolves", async () => {
    const running = await startBroker({ port: 0, log: () => undefined, lazyConfirmMs: 5 });
    const transport = await TcpTransport.connect({ url: running.url });
    try {
      await transport.publish("t", new Uint8Array([1]), { lazyConfirm: true });
      await transport.publish("t", new Uint8Array([2]), { lazyConfirm: true });
      const published = (await transport.stats()).topics.find((topic) => topic.name === "t")!.partitions.reduce((sum, p) => sum + p.published, 0);
      expect(published).to.equal(2);
    } finally {
      await transport.close();
      await running.close();
    }
  });
});
