import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { ErrorCode } from "../../packages/ferry/src/core/errors.js";
import { startBroker, type RunningBroker } from "../../packages/ferry/src/broker/server/broker-server.js";
import { FrameDecoder } from "../../packages/ferry/src/broker/protocol/frame-decoder.js";
import { encodeValue } from "../../packages/ferry/src/core/wire/codec.js";
import { decodeFrame, encodeFrame, Op, type DeliveryFrame, type ErrorFrame, type FatalFrame, type Frame, type OkFrame } from "../../packages/ferry/src/broker/protocol/protocol.js";
import { TcpTransport } from "../../packages/ferry/src/transports/tcp/tcp-transport.js";
import { until } from "../support/wait.js";

const MAX_FRAME = 1024 * 1024 + 4096;

/** A raw protocol client: writes frames in one chunk, and collects every frame the broker sends. */
async function rawSession(port: number): Promise<{ received: Frame[]; send(...frames: Frame[]): void; sendBytes(bytes: Uint8Array): void; close(): void }> {
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
    sendBytes: (bytes) => socket.write(Buffer.concat([lengthOf(bytes), bytes])),
    close: () => socket.destroy(),
  };
}

function lengthOf(bytes: Uint8Array): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(bytes.length);
  return header;
}

const isOk = (frame: Frame): frame is OkFrame => frame[0] === Op.Ok;
const isError = (frame: Frame): frame is ErrorFrame => frame[0] === Op.Error;

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

describe("TCP broker: frames added after version 1", () => {
  let running: RunningBroker;
  beforeEach(async () => {
    running = await startBroker({ port: 0, log: () => undefined });
  });
  afterEach(async () => {
    await running.close();
  });

  it("takes a Publish without its lazyConfirm field, as an older client sends it, and answers it at once", async () => {
    const session = await rawSession(running.port);
    session.send([Op.Hello, null, "old client"], [Op.Publish, 1, "t", new Uint8Array([1]), null, null, false]);
    await until(() => session.received.length === 2);
    expect(session.received[1]!.slice(0, 2)).to.deep.equal([Op.Ok, 1]);
    session.close();
  });

  it("replies and acks with one ReplyAck frame: the reply arrives and the delivery is settled", async () => {
    const session = await rawSession(running.port);
    session.send([Op.Hello, null, "test"], [Op.OpenReplyQueue, 1, null, null], [Op.Consume, 2, 7, "work", "workers", 10, false], publish(3, "work", false));
    await until(() => session.received.some((frame) => frame[0] === Op.Delivery));
    const queue = (session.received.find((frame) => frame[0] === Op.Ok && frame[1] === 1)![2] as { name: string }).name;
    const tag = session.received.find((frame): frame is DeliveryFrame => frame[0] === Op.Delivery)![2];
    session.send([Op.ReplyAck, tag, queue, new Uint8Array([42])]);
    await until(() => session.received.some((frame) => frame[0] === Op.ReplyMessage));
    expect(session.received.find((frame) => frame[0] === Op.ReplyMessage)!.slice(1)).to.deep.equal([queue, new Uint8Array([42])]);
    const group = running.broker.stats().topics.find((topic) => topic.name === "work")!.groups[0]!;
    expect(group.partitions.reduce((sum, p) => sum + p.inFlight, 0)).to.equal(0);
    session.close();
  });
});

describe("TCP broker: lazy confirms beside durable publishes", () => {
  it("never covers a durable publish still waiting for its fsync with a bulk Confirmed", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "ferry-frames-"));
    const running = await startBroker({ port: 0, log: () => undefined, dataDir, fsync: "always", lazyConfirmMs: 60_000 });
    try {
      running.broker.declareTopic("kept", { durable: true });
      const session = await rawSession(running.port);
      session.send([Op.Hello, null, "test"], publish(1, "kept", true), publish(2, "memory", true), publish(3, "kept", true), [Op.Stats, 4]);
      await until(() => [1, 3, 4].every((id) => session.received.some((frame) => frame[0] === Op.Ok && frame[1] === id)));
      // Each durable publish gets its own Ok after its fsync; a Confirmed before it must not reach its id.
      for (const id of [1, 3]) {
        const answered = session.received.findIndex((frame) => frame[0] === Op.Ok && frame[1] === id);
        const coveredEarlier = session.received.slice(0, answered).some((frame) => frame[0] === Op.Confirmed && frame[1] >= id);
        expect(coveredEarlier, `publish ${id}`).to.equal(false);
      }
      session.close();
    } finally {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
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

describe("TCP broker: a frame that does not fit its op's schema", () => {
  it("closes the connection with a Fatal frame naming the op and the field at fault", async () => {
    const running = await startBroker({ port: 0, log: () => undefined });
    try {
      const session = await rawSession(running.port);
      session.send([Op.Hello, null, "test"]);
      // As a client with a bug would send it: a number where the topic goes.
      session.sendBytes(encodeValue([Op.Publish, 1, 7, new Uint8Array([1]), null, null, false]));
      await until(() => session.received.some((frame) => frame[0] === Op.Fatal));
      const fatal = session.received.find((frame): frame is FatalFrame => frame[0] === Op.Fatal)!;
      expect(fatal[1]).to.deep.include({ code: ErrorCode.ProtocolError, message: "frame field Publish.topic: expected a string" });
      session.close();
    } finally {
      await running.close();
    }
  });
});

describe("TCP broker: DeclareTopic options", () => {
  let dataDir: string;
  let running: RunningBroker;
  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "ferry-declare-"));
    running = await startBroker({ port: 0, log: () => undefined, dataDir });
  });
  afterEach(async () => {
    await running.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const meta = (topic: string) => join(dataDir, "topics", topic, "meta.json");

  it("answers an option of the wrong type with INVALID_ARGUMENT, keeps the connection and makes nothing durable", async () => {
    const session = await rawSession(running.port);
    session.send([Op.Hello, null, "test"], [Op.DeclareTopic, 1, "kept", { durable: "no" }], [Op.Stats, 2]);
    await until(() => session.received.some((frame) => isOk(frame) && frame[1] === 2));
    const error = session.received.find(isError);
    expect(error?.[1]).to.equal(1);
    expect(error?.[2]).to.deep.include({ code: ErrorCode.InvalidArgument, message: 'topic option durable must be a boolean, got "no"' });
    expect(existsSync(meta("kept"))).to.equal(false);
    session.close();
  });

  it("declares with the options it knows, and leaves keys that are not options out of what it saves", async () => {
    const session = await rawSession(running.port);
    session.send([Op.Hello, null, "test"], [Op.DeclareTopic, 1, "kept", { durable: true, partitions: 2, colour: "blue" }]);
    await until(() => session.received.some((frame) => isOk(frame) && frame[1] === 1));
    const saved = JSON.parse(readFileSync(meta("kept"), "utf8")) as { options: Record<string, unknown> };
    expect(saved.options).to.include({ durable: true, partitions: 2 });
    expect(saved.options).to.not.have.property("colour");
    session.close();
  });
});
