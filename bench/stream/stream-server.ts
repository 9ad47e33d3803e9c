// The server side of one system of the stream bench, in its own process:
//
//   node dist/bench/stream/stream-server.js ferry <ferry:// or nats:// url>
//   node dist/bench/stream/stream-server.js raw-tcp
//   node dist/bench/stream/stream-server.js nats-inbox <nats:// url>
//
// It tells the runner over IPC when it serves (with its port, for raw TCP), and exits on "stop".
import net from "node:net";
import { once } from "node:events";
import { connect as natsConnect } from "nats";
import { connect } from "../../packages/ferry/src/index.js";
import { padOf, StreamBench, type ItemsRequest } from "./stream-service.js";
import { natsStreamSubject, rawFrame, readRawRequest } from "./stream-wire.js";

const [system, url] = process.argv.slice(2);

async function serveFerry(): Promise<() => Promise<void>> {
  const ferry = await connect({ url: url! });
  await ferry.serve(StreamBench, {
    async *items({ count, size }: ItemsRequest) {
      const pad = padOf(size);
      for (let n = 0; n < count; n++) yield { n, pad };
    },
  });
  return () => ferry.close();
}

/** Raw TCP: length-prefixed frames written as fast as the socket takes them, waiting on `drain` (its only flow control). */
async function serveRawTcp(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on("error", () => socket.destroy());
    readRawRequest(socket, async ({ count, size }) => {
      const body = Buffer.alloc(size, 120);
      for (let n = 0; n < count; n++) {
        if (!socket.write(rawFrame(n, body))) await once(socket, "drain");
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * A NATS stream built by hand: each request names an inbox, and the server publishes every item
 * to it, then an empty end message. Nothing paces it but a `flush` every 1,000 items, which keeps
 * the client library's buffer from growing without bound; the subscriber gets no say.
 */
async function serveNatsInbox(): Promise<() => Promise<void>> {
  const nc = await natsConnect({ servers: url! });
  nc.subscribe(natsStreamSubject, {
    callback: (error, msg) => {
      if (error !== null || msg.reply === undefined) return;
      const { count, size } = JSON.parse(new TextDecoder().decode(msg.data)) as ItemsRequest;
      const body = new Uint8Array(size).fill(120);
      const reply = msg.reply;
      void (async () => {
        for (let n = 0; n < count; n++) {
          nc.publish(reply, body);
          if (n % 1_000 === 999) await nc.flush();
        }
        nc.publish(reply, new Uint8Array(0));
      })();
    },
  });
  await nc.flush();
  return () => nc.close();
}

let close: () => Promise<void>;
let info: Record<string, unknown> = {};
if (system === "ferry") close = await serveFerry();
else if (system === "raw-tcp") {
  const raw = await serveRawTcp();
  close = raw.close;
  info = { port: raw.port };
} else if (system === "nats-inbox") close = await serveNatsInbox();
else throw new Error(`unknown stream system ${system}`);
process.on("message", (message) => {
  if (message === "stop") void close().then(() => process.exit(0));
});
process.on("disconnect", () => process.exit(0));
process.send?.({ ready: true, ...info });
