import { expect } from "chai";
import net from "node:net";
import { once } from "node:events";
import { FrameDecoder } from "../../packages/ferry/src/broker/protocol/frame-decoder.js";
import { FrameWriter } from "../../packages/ferry/src/broker/protocol/frame-writer.js";
import { decodeFrame, encodeFrame, Op, type Frame } from "../../packages/ferry/src/broker/protocol/protocol.js";
import { until } from "../support/wait.js";

const MAX_FRAME = 1024 * 1024 + 4096;

/** A reply frame whose bytes say which frame it is, `size` bytes long. */
function numbered(n: number, size: number): Frame {
  const bytes = Buffer.alloc(size, n % 251);
  if (size >= 4) bytes.writeUInt32BE(n, 0);
  return [Op.ReplyMessage, `queue-${n % 7}`, bytes];
}

function decodeAll(decoder: FrameDecoder, chunks: Buffer[]): Frame[] {
  return chunks.flatMap((chunk) => decoder.push(chunk).map((bytes) => decodeFrame(bytes, MAX_FRAME)));
}

function split(stream: Buffer, sizeOf: (index: number) => number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < stream.length; i++) {
    const size = Math.max(1, sizeOf(i));
    chunks.push(stream.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

describe("TCP frames: decoder and writer", () => {
  const frames = [numbered(1, 0), numbered(2, 3), numbered(3, 100), numbered(4, 20_000), numbered(5, 1), numbered(6, 70_000), numbered(7, 5)];
  const stream = Buffer.concat(frames.map(encodeFrame));

  for (const size of [1, 2, 3, 5, 4096, stream.length]) {
    it(`decodes frames cut into ${size}-byte chunks, headers and bodies split anywhere`, () => {
      expect(decodeAll(new FrameDecoder(MAX_FRAME), split(stream, () => size))).to.deep.equal(frames);
    });
  }

  it("decodes frames cut into chunks of irregular sizes", () => {
    const sizes = [7, 1, 300, 2, 65_536, 4, 9, 1_000];
    expect(decodeAll(new FrameDecoder(MAX_FRAME), split(stream, (i) => sizes[i % sizes.length]!))).to.deep.equal(frames);
  });

  it("writes every frame intact and in order, across slab boundaries, while the reader lags behind", async () => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const writerSide = net.connect({ host: "127.0.0.1", port: (server.address() as net.AddressInfo).port });
    const [readerSide] = (await once(server, "connection")) as [net.Socket];
    await once(writerSide, "connect");
    // The reader does not read until everything is queued: the socket keeps earlier batches
    // (views of old slabs) while later frames fill new ones.
    readerSide.pause();
    const writer = new FrameWriter(writerSide);
    const sent: Frame[] = [];
    for (let n = 0; n < 3_000; n++) {
      const frame = numbered(n, n % 50 === 0 ? 300_000 : (n * 37) % 700);
      sent.push(frame);
      writer.send(frame);
      if (n % 250 === 0) writer.flush();
    }
    writer.flush();
    expect(writerSide.writableLength).to.be.greaterThan(0);
    const decoder = new FrameDecoder(MAX_FRAME);
    const received: Frame[] = [];
    readerSide.on("data", (chunk: Buffer) => received.push(...decodeAll(decoder, [chunk])));
    readerSide.resume();
    await until(() => received.length === sent.length);
    expect(received).to.deep.equal(sent);
    writerSide.destroy();
    readerSide.destroy();
    server.close();
  });
});
