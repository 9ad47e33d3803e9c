// Raw TCP ping-pong, the practical limit: Node `net` on loopback, frames of
// [u32 length][u32 request id][msgpack body], Nagle off, and every write of one tick corked
// into a single syscall on both sides. No broker, no envelope, no validation.
import net from "node:net";
import { once } from "node:events";
import { pack, unpack } from "msgpackr";
import { add, type AddReply, type AddRequest } from "../payload.js";
import type { ClientSide, SetupConfig, ServerSide, SystemSides } from "./system.js";

const headerBytes = 8;

function frame(id: number, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(headerBytes + body.length);
  out.writeUInt32LE(body.length + 4, 0);
  out.writeUInt32LE(id, 4);
  out.set(body, headerBytes);
  return out;
}

/** Splits a byte stream into frames, holding a partial frame until the rest arrives. */
function frameReader(onFrame: (id: number, body: Buffer) => void): (chunk: Buffer) => void {
  let held: Buffer | undefined;
  return (chunk) => {
    const bytes = held === undefined ? chunk : Buffer.concat([held, chunk]);
    let offset = 0;
    while (bytes.length - offset >= 4) {
      const length = bytes.readUInt32LE(offset);
      if (bytes.length - offset - 4 < length) break;
      onFrame(bytes.readUInt32LE(offset + 4), bytes.subarray(offset + headerBytes, offset + 4 + length));
      offset += 4 + length;
    }
    held = offset < bytes.length ? bytes.subarray(offset) : undefined;
  };
}

async function serve(): Promise<ServerSide> {
  const server = net.createServer({ noDelay: true }, (socket) => {
    const read = frameReader((id, body) => socket.write(frame(id, pack(add(unpack(body) as AddRequest)))));
    socket.on("data", (chunk: Buffer) => {
      socket.cork();
      read(chunk);
      socket.uncork();
    });
    socket.on("error", () => socket.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  return { info: { port }, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function connect(config: SetupConfig): Promise<ClientSide> {
  const socket = net.connect({ host: "127.0.0.1", port: Number(config.server?.["port"]), noDelay: true });
  await once(socket, "connect");
  const pending = new Map<number, { resolve: (sum: number) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let corked = false;
  socket.on(
    "data",
    frameReader((id, body) => {
      const call = pending.get(id);
      pending.delete(id);
      call?.resolve((unpack(body) as AddReply).sum);
    }),
  );
  socket.on("close", () => {
    for (const call of pending.values()) call.reject(new Error("raw TCP connection closed"));
    pending.clear();
  });
  return {
    info: {},
    call(request) {
      const id = (nextId = (nextId + 1) >>> 0);
      if (!corked) {
        corked = true;
        socket.cork();
        process.nextTick(() => {
          corked = false;
          socket.uncork();
        });
      }
      socket.write(frame(id, pack(request)));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    },
    close: async () => {
      socket.destroy();
    },
  };
}

export const rawTcp: SystemSides = { serve, connect };
