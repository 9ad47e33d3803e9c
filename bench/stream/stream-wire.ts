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

/** Counts the frames of a byte stream (holding a partial one), calling `onItem` with each item's number. */
export function rawFrameCounter(onItem: (n: number) => void): (chunk: Buffer) => void {
  let held: Buffer | undefined;
  return (chunk) => {
    const bytes = held === undefined ? chunk : Buffer.concat([held, chunk]);
    let offset = 0;
    while (bytes.length - offset >= 8) {
      const length = bytes.readUInt32LE(offset);
      if (bytes.length - offset - 4 < length) break;
      onItem(bytes.readUInt32LE(offset + 4));
      offset += 4 + length;
    }
    held = offset < bytes.length ? bytes.subarray(offset) : undefined;
  };
}
