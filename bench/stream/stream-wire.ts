// The wire of the two hand-built streams the bench compares Ferry with: raw TCP frames
// ([u32 length][u32 item number][bytes]) and the NATS subject the hand-built server listens on.
import type { Socket } from "node:net";
import type { ItemsRequest } from "./stream-service.js";

export const natsStreamSubject = "bench.stream.items";

export function rawFrame(n: number, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(8 + body.length);
  out.writeUInt32LE(body.length + 4, 0);
  out.writeUInt32LE(n, 4);
  out.set(body, 8);
  return out;
}

/** The server's side: one JSON request line per connection, then `stream` writes its items. */
export function readRawRequest(socket: Socket, stream: (request: ItemsRequest) => Promise<void>): void {
  let text = "";
  const onData = (chunk: Buffer): void => {
    text += chunk.toString();
    const end = text.indexOf("\n");
    if (end < 0) return;
    socket.off("data", onData);
    void stream(JSON.parse(text.slice(0, end)) as ItemsRequest);
  };
  socket.on("data", onData);
}

/**
 * Counts the frames of a byte stream, calling `onItem` with each item's number. It copies only a
 * header split across chunks, and skips bodies without copying them: joining a partial 16 KiB
 * frame to every chunk would cost the baseline more than its own wire does.
 */
export function rawFrameCounter(onItem: (n: number) => void): (chunk: Buffer) => void {
  const header = Buffer.alloc(8);
  let headerBytes = 0;
  let skip = 0;
  return (chunk) => {
    let offset = 0;
    while (offset < chunk.length) {
      if (skip > 0) {
        const skipped = Math.min(skip, chunk.length - offset);
        skip -= skipped;
        offset += skipped;
        continue;
      }
      const copied = chunk.copy(header, headerBytes, offset, Math.min(chunk.length, offset + 8 - headerBytes));
      headerBytes += copied;
      offset += copied;
      if (headerBytes < 8) return;
      headerBytes = 0;
      skip = header.readUInt32LE(0) - 4;
      onItem(header.readUInt32LE(4));
    }
  };
}
