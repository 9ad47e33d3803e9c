// The client side of each system of the stream bench, run in the bench's own process: each
// opens one stream of `count` items of `size` bytes and takes every item, optionally slowly.
import net from "node:net";
import { once } from "node:events";
import { connect as natsConnect, createInbox } from "nats";
import { connect } from "../../packages/ferry/src/index.js";
import { StreamBench } from "./stream-service.js";
import { natsStreamSubject, rawFrameCounter } from "./stream-wire.js";

export interface StreamClient {
  /** Streams `count` items of `size` bytes; `slowMs` per item makes the consumer slow. Resolves with the items taken. */
  run(count: number, size: number, slowMs?: number): Promise<number>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function ferryClient(url: string, windows: { window: number; windowBytes: number }): Promise<StreamClient> {
  const ferry = await connect({ url });
  return {
    async run(count, size, slowMs = 0) {
      let taken = 0;
      for await (const _item of ferry.stream(StreamBench.methods.items, { count, size }, { ...windows, timeoutMs: 60_000 })) {
        taken++;
        if (slowMs > 0) await sleep(slowMs);
      }
      return taken;
    },
    close: () => ferry.close(),
  };
}

/** Raw TCP: a connection per stream, the request as a JSON line, then frames counted as they arrive. */
export function rawTcpClient(port: number): StreamClient {
  return {
    async run(count, size) {
      const socket = net.connect({ host: "127.0.0.1", port, noDelay: true });
      await once(socket, "connect");
      let taken = 0;
      const done = new Promise<void>((resolve, reject) => {
        socket.on(
          "data",
          rawFrameCounter(() => {
            if (++taken === count) resolve();
          }),
        );
        socket.once("error", reject);
      });
      socket.write(`${JSON.stringify({ count, size })}\n`);
      await done;
      socket.destroy();
      return taken;
    },
    close: async () => undefined,
  };
}

/** The hand-built NATS stream: items published to the caller's inbox, an empty message at the end. */
export async function natsInboxClient(url: string): Promise<StreamClient> {
  const nc = await natsConnect({ servers: url });
  return {
    async run(count, size, slowMs = 0) {
      const inbox = createInbox();
      // Items wait here until the consumer takes them: nothing tells the server to slow down.
      const arrived: Uint8Array[] = [];
      let ended = false;
      let wake: (() => void) | undefined;
      const subscription = nc.subscribe(inbox, {
        callback: (error, msg) => {
          if (error !== null) return;
          if (msg.data.length === 0) ended = true;
          else arrived.push(msg.data);
          wake?.();
        },
      });
      nc.publish(natsStreamSubject, new TextEncoder().encode(JSON.stringify({ count, size })), { reply: inbox });
      let taken = 0;
      let head = 0;
      while (!(ended && head === arrived.length)) {
        if (head === arrived.length) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        arrived[head++] = undefined as never;
        taken++;
        if (slowMs > 0) await sleep(slowMs);
      }
      subscription.unsubscribe();
      return taken;
    },
    close: () => nc.close(),
  };
}
