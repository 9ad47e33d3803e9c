import { expect } from "chai";
import { once } from "node:events";
import net from "node:net";
import { ErrorCode } from "../../packages/ferry/src/core/errors.js";
import { encodeFrame, decodeFrame, Op, type Frame } from "../../packages/ferry/src/broker/protocol/protocol.js";
import { FrameDecoder } from "../../packages/ferry/src/broker/protocol/frame-decoder.js";
import { startBroker, type RunningBroker } from "../../packages/ferry/src/broker/server/broker-server.js";
import { testCertificate } from "../support/test-certificate.js";
import { until } from "../support/wait.js";

const token = "s3cret";
/** Small, so a socket held past it shows at once; the tests wait for events, never for this. */
const authTimeoutMs = 100;

/**
 * A raw client that keeps its end open for ever: it never ends or destroys its socket, and reads
 * only while `reading`. It is the peer a broker must not wait for.
 */
class StubbornPeer {
  readonly frames: Frame[] = [];
  private readonly decoder = new FrameDecoder(16 * 1024 * 1024);

  private constructor(readonly socket: net.Socket) {
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      for (const bytes of this.decoder.push(chunk)) this.frames.push(decodeFrame(bytes, 16 * 1024 * 1024));
    });
  }

  static async connect(port: number, ...frames: Frame[]): Promise<StubbornPeer> {
    // allowHalfOpen: the broker's FIN does not make this side end too.
    const socket = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true });
    await once(socket, "connect");
    const peer = new StubbornPeer(socket);
    for (const frame of frames) socket.write(encodeFrame(frame));
    return peer;
  }

  /** The code of the `Fatal` frame the broker sent, once it has arrived. */
  async fatal(): Promise<string> {
    await until(() => this.frames.some(([op]) => op === Op.Fatal), "a Fatal frame", 10_000, 10_000);
    return (this.frames.find(([op]) => op === Op.Fatal)![1] as { code: string }).code;
  }
}

const hello = (secret: string | null = token): Frame => [Op.Hello, secret, "stubborn"];

describe("TCP broker: every socket it refuses or drops is released", () => {
  let running: RunningBroker;
  let logs: string[];
  const peers: StubbornPeer[] = [];

  async function start(options: Parameters<typeof startBroker>[0] = {}): Promise<RunningBroker> {
    logs = [];
    running = await startBroker({ port: 0, token, authTimeoutMs, log: (line) => logs.push(line), ...options });
    return running;
  }
  async function peer(...frames: Frame[]): Promise<StubbornPeer> {
    const connected = await StubbornPeer.connect(running.port, ...frames);
    peers.push(connected);
    return connected;
  }
  /** The broker has closed every socket but `expected`: polled, since a released descriptor raises no event a peer can see. */
  async function socketsDownTo(expected: number): Promise<void> {
    await until(() => running.sockets === expected, `${expected} sockets held by the broker`, 10_000, 10_000);
  }

  afterEach(async () => {
    for (const stubborn of peers.splice(0)) stubborn.socket.destroy();
    await running.close();
  });

  it("destroys sockets refused past maxConnections, though their peers keep their ends open", async () => {
    await start({ maxConnections: 2 });
    const admitted = [await peer(hello()), await peer(hello())];
    await until(() => admitted.every((p) => p.frames.some(([op]) => op === Op.Welcome)), "both welcomed", 10_000, 10_000);
    const refused = await Promise.all(Array.from({ length: 50 }, () => peer(hello())));
    expect(await Promise.all(refused.map((p) => p.fatal()))).to.deep.equal(new Array(50).fill("UNAVAILABLE"));
    await socketsDownTo(2);
    expect(running.connections).to.equal(2);
    expect(admitted.every((p) => !p.socket.destroyed)).to.equal(true);
  });

  it("destroys a socket whose token is wrong", async () => {
    await start();
    expect(await (await peer(hello("wrong"))).fatal()).to.equal("UNAUTHENTICATED");
    await socketsDownTo(0);
  });

  it("destroys a socket that never authenticates", async () => {
    await start();
    expect(await (await peer()).fatal()).to.equal("UNAUTHENTICATED");
    await socketsDownTo(0);
  });

  it("destroys a socket that announces a frame over maxFrameBytes", async () => {
    await start();
    const stubborn = await peer(hello());
    stubborn.socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect(await stubborn.fatal()).to.equal("PAYLOAD_TOO_LARGE");
    await socketsDownTo(0);
  });

  it("destroys a socket that breaks the protocol", async () => {
    await start();
    expect(await (await peer(hello(), hello())).fatal()).to.equal("PROTOCOL_ERROR");
    await socketsDownTo(0);
  });

  it("destroys a socket that stays silent past idleTimeoutMs", async () => {
    await start({ idleTimeoutMs: 50 });
    expect(await (await peer(hello())).fatal()).to.equal(ErrorCode.IdleTimeout);
    await socketsDownTo(0);
  });

  it("destroys a TLS socket that never finishes its handshake", async () => {
    await start({ tls: testCertificate });
    await peer(); // plain TCP: no ClientHello ever comes
    await socketsDownTo(0);
    expect(logs.some((line) => line.includes("TLS handshake timeout"))).to.equal(true);
  });

  it("destroys a slow consumer's socket, though its peer neither reads nor closes", async () => {
    await start({ maxOutboundBytes: 64 * 1024 });
    const stubborn = await peer(hello(), [Op.Consume, 1, 1, "flood", "g", 100_000, false]);
    await until(() => running.broker.stats().topics.some((topic) => topic.name === "flood" && topic.groups.length > 0), "the subscription", 10_000, 10_000);
    stubborn.socket.pause(); // and never reads again: the kernel's buffers fill, then the broker's
    const payload = new Uint8Array(256 * 1024);
    for (let i = 0; i < 1_000 && running.connections > 0; i++) {
      running.broker.publish("flood", payload);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(logs.some((line) => line.includes("SLOW_CONSUMER"))).to.equal(true);
    await socketsDownTo(0);
  });
});
