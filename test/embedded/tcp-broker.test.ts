import { expect } from "chai";
import net from "node:net";
import { once } from "node:events";
import { firstValueFrom, filter } from "rxjs";
import { encodeValue } from "../../packages/ferry/src/core/wire/codec.js";
import { InvalidArgumentError } from "../../packages/ferry/src/core/errors.js";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { startBroker, type RunningBroker } from "../../packages/ferry/src/broker/server/broker-server.js";
import { Op } from "../../packages/ferry/src/broker/protocol/protocol.js";
import { TcpTransport } from "../../packages/ferry/src/transports/tcp/tcp-transport.js";
import { Calculator, calculatorImpl } from "../support/services.js";
import { startTcpProxy } from "../support/tcp-proxy.js";
import { gate, rejection, until } from "../support/wait.js";

/** Sends raw bytes on a fresh socket and resolves with everything the broker sent back before closing. */
async function exchange(port: number, ...chunks: Uint8Array[]): Promise<Buffer> {
  const socket = net.connect({ host: "127.0.0.1", port });
  await once(socket, "connect");
  const received: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => received.push(chunk));
  for (const chunk of chunks) socket.write(chunk);
  await once(socket, "close");
  return Buffer.concat(received);
}

function frame(value: unknown): Buffer {
  const body = Buffer.from(encodeValue(value));
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
}

/** The Fatal frame's error code in what the broker sent before closing. */
function fatalCode(bytes: Buffer): string | undefined {
  const text = bytes.toString("latin1");
  for (const code of ["PAYLOAD_TOO_LARGE", "PROTOCOL_ERROR", "UNAUTHENTICATED", "MALFORMED_MESSAGE", "SLOW_CONSUMER"]) if (text.includes(code)) return code;
  return undefined;
}

const hello = (token: string | null = null) => frame([Op.Hello, token, "test"]);
const calculator = calculatorImpl;

describe("TCP broker: protocol errors, limits and reconnects", () => {
  let running: RunningBroker;
  const logs: string[] = [];
  const opened: { close(): Promise<void> }[] = [];
  beforeEach(async () => {
    logs.length = 0;
    running = await startBroker({ port: 0, log: (line) => logs.push(line), authTimeoutMs: 200, maxOutboundBytes: 256 * 1024 });
  });
  afterEach(async () => {
    for (const item of opened.splice(0).reverse()) await item.close();
    await running.close();
  });
  async function runtime(url = running.url): Promise<Ferry> {
    const ferry = new Ferry(await TcpTransport.connect({ url }));
    await ferry.start();
    opened.push(ferry);
    return ferry;
  }

  it("closes a connection sending random bytes, and keeps serving the others", async () => {
    const server = await runtime();
    await server.serve(Calculator, calculator);
    const random = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 0xff));
    const reply = await exchange(running.port, hello(), random);
    expect(fatalCode(reply)).to.be.oneOf(["PROTOCOL_ERROR", "MALFORMED_MESSAGE", "PAYLOAD_TOO_LARGE"]);
    const client = await runtime();
    expect(await client.call(Calculator.methods.add, { a: 1, b: 2 })).to.deep.equal({ sum: 3 });
    expect(logs.some((line) => line.includes("protocol error"))).to.equal(true);
  });

  it("refuses a 4 GiB length prefix before allocating anything, many times over, with bounded memory", async () => {
    const before = process.memoryUsage();
    for (let i = 0; i < 200; i++) {
      const reply = await exchange(running.port, hello(), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]));
      expect(fatalCode(reply)).to.equal("PAYLOAD_TOO_LARGE");
    }
    const after = process.memoryUsage();
    expect(after.arrayBuffers - before.arrayBuffers).to.be.below(32 * 1024 * 1024);
    expect(running.connections).to.equal(0);
  });

  it("holds a truncated frame only until its connection goes, then forgets it", async () => {
    const socket = net.connect({ host: "127.0.0.1", port: running.port });
    await once(socket, "connect");
    socket.write(hello());
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1000);
    socket.write(Buffer.concat([header, Buffer.alloc(10)]));
    await until(() => running.connections === 1, "the connection");
    socket.destroy();
    await until(() => running.connections === 0, "the connection to go");
  });

  it("closes a connection whose frame nests too deep", async () => {
    const deep = Buffer.alloc(200, 0x91);
    deep[199] = 0xc0;
    const header = Buffer.alloc(4);
    header.writeUInt32BE(deep.length);
    expect(fatalCode(await exchange(running.port, hello(), header, deep))).to.equal("PROTOCOL_ERROR");
  });

  it("closes a connection whose frame does not fit its op's layout", async () => {
    expect(fatalCode(await exchange(running.port, hello(), frame([Op.Publish, "not a number", "t", new Uint8Array(1), null, null, false])))).to.equal("PROTOCOL_ERROR");
    expect(fatalCode(await exchange(running.port, hello(), frame([99])))).to.equal("PROTOCOL_ERROR");
  });

  it("refuses any frame before Hello, and closes a connection that never authenticates", async () => {
    expect(fatalCode(await exchange(running.port, frame([Op.Stats, 1])))).to.equal("UNAUTHENTICATED");
    const silent = await exchange(running.port);
    expect(fatalCode(silent)).to.equal("UNAUTHENTICATED");
  });

  it("requires the token when the broker has one, and a refused client does not reconnect", async () => {
    const guarded = await startBroker({ port: 0, token: "s3cret", log: () => undefined });
    opened.push(guarded);
    expect(fatalCode(await exchange(guarded.port, hello("wrong")))).to.equal("UNAUTHENTICATED");
    const error = await rejection(TcpTransport.connect({ url: guarded.url, token: "nope" }));
    expect(error.code).to.equal("UNAUTHENTICATED");
    const good = await TcpTransport.connect({ url: guarded.url, token: "s3cret" });
    opened.push(good);
    expect((await good.stats()).replyQueues).to.equal(0);
  });

  it("closes a connection that trickles bytes without ever authenticating, at the auth deadline", async () => {
    const socket = net.connect({ host: "127.0.0.1", port: running.port });
    await once(socket, "connect");
    socket.on("error", () => undefined); // the broker hangs up mid-trickle (EPIPE)
    socket.resume(); // reads the Fatal frame and the broker's FIN, and so closes
    const closed = new Promise((resolve) => socket.on("close", resolve));
    let trickled = 0;
    const hello = frame([Op.Hello, null, "slow"]);
    const timer = setInterval(() => {
      if (trickled < hello.length - 1 && !socket.destroyed) socket.write(hello.subarray(trickled, ++trickled)); // never the last byte
    }, 20);
    await closed;
    clearInterval(timer);
    expect(logs.some((line) => line.includes("authentication timed out"))).to.equal(true);
  });

  it("gives a dropped client's reply queue back only to the holder of its secret", async () => {
    const owner = net.connect({ host: "127.0.0.1", port: running.port });
    await once(owner, "connect");
    owner.write(hello());
    owner.write(frame([Op.OpenReplyQueue, 1, null, null]));
    let name: string | undefined;
    owner.on("data", (chunk: Buffer) => (name ??= /_reply\.[0-9]+\.[a-z0-9]+/.exec(chunk.toString("latin1"))?.[0]));
    await until(() => name !== undefined, "the reply queue");
    owner.destroy();
    await until(() => running.connections === 0, "the owner to go");
    // Another client knows the name (it travels in every request) but not the secret.
    const thief = await TcpTransport.connect({ url: running.url });
    opened.push(thief);
    const taken = (await (thief as unknown as { connection: { request(build: (id: number) => unknown[]): Promise<{ name: string }> } }).connection.request((id) => [Op.OpenReplyQueue, id, name!, "00".repeat(16)])) as { name: string };
    expect(taken.name).to.not.equal(name);
  });

  it("refuses to listen beyond loopback without a token", async () => {
    expect(await rejection(startBroker({ port: 0, host: "0.0.0.0", log: () => undefined }))).to.be.instanceOf(InvalidArgumentError);
  });

  it("cuts off a client that stops reading once its outbound buffer passes the limit", async () => {
    const reader = net.connect({ host: "127.0.0.1", port: running.port });
    await once(reader, "connect");
    reader.write(hello());
    reader.write(frame([Op.OpenReplyQueue, 1, null, null]));
    let name: string | undefined;
    reader.on("data", (chunk: Buffer) => {
      name ??= /_reply\.[0-9]+\.[a-z0-9]+/.exec(chunk.toString("latin1"))?.[0];
      if (name !== undefined) reader.pause(); // and never read again
    });
    await until(() => name !== undefined, "the reply queue");
    const sender = await TcpTransport.connect({ url: running.url });
    opened.push(sender);
    const payload = new Uint8Array(64 * 1024);
    for (let i = 0; i < 400 && running.connections === 2; i++) {
      sender.reply(name!, payload);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => logs.some((line) => line.includes("SLOW_CONSUMER")), "the cut-off");
    await until(() => running.connections === 1, "the slow connection to close");
    reader.destroy();
  });

  it("keeps a client's reply queue through a dropped connection, and the reply sent meanwhile arrives", async () => {
    const proxy = await startTcpProxy(running.port);
    opened.push(proxy);
    const server = await runtime();
    const release = gate();
    const started = gate();
    await server.serve(Calculator, { ...calculator, add: async ({ a, b }: { a: number; b: number }) => (started.open(), await release.promise, { sum: a + b }) });
    const clientTransport = await TcpTransport.connect({ url: `ferry://127.0.0.1:${proxy.port}`, reconnectInitialMs: 10 });
    const client = new Ferry(clientTransport);
    await client.start();
    opened.push(client);
    const call = client.call(Calculator.methods.add, { a: 20, b: 22 });
    await started.promise;
    const reconnecting = firstValueFrom(clientTransport.state$.pipe(filter((state) => state === "reconnecting")));
    proxy.cut();
    await reconnecting;
    release.open(); // the reply goes out while the client is away: the broker holds it
    await firstValueFrom(clientTransport.state$.pipe(filter((state) => state === "connected")));
    expect(await call).to.deep.equal({ sum: 42 });
  });

  it("settles each handled request with its reply (one ReplyAck frame each): nothing stays in flight or comes back", async () => {
    const server = await runtime();
    await server.serve(Calculator, calculator);
    const client = await runtime();
    const sums = await Promise.all(Array.from({ length: 50 }, (_, i) => client.call(Calculator.methods.add, { a: i, b: 1 })));
    expect(sums.map((sum) => (sum as { sum: number }).sum)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i + 1));
    const group = running.broker.stats().topics.find((topic) => topic.name === "svc.Calculator")!.groups.find((g) => g.group === "Calculator")!;
    expect(group.partitions.reduce((sum, p) => sum + p.inFlight, 0)).to.equal(0);
    expect(group.partitions.reduce((sum, p) => sum + p.redeliveries, 0)).to.equal(0);
  });

  it("queues each message as a copy, not as a view that keeps the socket chunk it came in alive", async () => {
    // 60 publishes of 1,000 bytes in one write: the broker reads them in chunks of up to 64 KiB.
    const socket = net.connect({ host: "127.0.0.1", port: running.port });
    await once(socket, "connect");
    const publishes = Array.from({ length: 60 }, (_, i) => frame([Op.Publish, i + 1, "kept", new Uint8Array(1000).fill(i), null, null, false, false]));
    socket.write(Buffer.concat([hello(), ...publishes]));
    const delivered: Uint8Array[] = [];
    running.broker.join("kept", "inspector", (delivery) => void delivered.push(delivery.bytes), { prefetch: 100, ordered: false });
    await until(() => delivered.length === 60);
    socket.destroy();
    // A copy lives in Node's buffer pool (8 KiB slabs); the socket chunk is 64 KiB.
    expect(delivered.every((bytes) => bytes.buffer.byteLength <= Buffer.poolSize)).to.equal(true);
    expect(delivered.map((bytes) => bytes[0])).to.deep.equal(delivered.map((_, i) => i));
  });

  it("fails a publish at once with UNAVAILABLE (retryable) while the link is down, and publishes again after the reconnect", async () => {
    const proxy = await startTcpProxy(running.port);
    opened.push(proxy);
    const transport = await TcpTransport.connect({ url: `ferry://127.0.0.1:${proxy.port}`, reconnectInitialMs: 10 });
    opened.push(transport);
    const reconnecting = firstValueFrom(transport.state$.pipe(filter((state) => state === "reconnecting")));
    proxy.cut();
    await reconnecting;
    const error = (await rejection(transport.publish("t", new Uint8Array(1)))) as Error & { code?: string; retryable?: boolean };
    expect(error.code).to.equal("UNAVAILABLE");
    expect(error.retryable).to.equal(true);
    await firstValueFrom(transport.state$.pipe(filter((state) => state === "connected")));
    await transport.publish("t", new Uint8Array(1));
    expect((await transport.stats()).topics.find((topic) => topic.name === "t")!.partitions.reduce((sum, p) => sum + p.published, 0)).to.equal(1);
  });
});
