// The nats.js peers on the same nats-server as Ferry NATS: `nc.request()` as documented, and a
// hand-tuned client that muxes every reply through one wildcard subscription.
import { connect, type NatsConnection } from "nats";
import { pack, unpack } from "msgpackr";
import { add, type AddReply, type AddRequest } from "../payload.js";
import type { ClientSide, SetupConfig, ServerSide, SystemSides } from "./system.js";

const subjectOf = (config: SetupConfig) => `bench.${config.runId}.add`;

async function open(config: SetupConfig, name: string): Promise<NatsConnection> {
  if (config.natsUrl === undefined) throw new Error(`${config.system} needs a nats url`);
  return connect({ servers: config.natsUrl, name });
}

/** A queue-group subscriber that answers with `msg.respond`: the server of both peers. */
async function serve(config: SetupConfig): Promise<ServerSide> {
  const nc = await open(config, "bench-server");
  nc.subscribe(subjectOf(config), {
    queue: "bench",
    callback: (error, msg) => {
      if (error === null) msg.respond(pack(add(unpack(msg.data) as AddRequest)));
    },
  });
  await nc.flush();
  return { info: {}, close: () => nc.close() };
}

async function connectRequest(config: SetupConfig): Promise<ClientSide> {
  const nc = await open(config, "bench-client");
  const subject = subjectOf(config);
  return {
    info: {},
    call: async (request) => (unpack((await nc.request(subject, pack(request), { timeout: 30_000 })).data) as AddReply).sum,
    close: () => nc.close(),
  };
}

async function connectInbox(config: SetupConfig): Promise<ClientSide> {
  const nc = await open(config, "bench-client");
  const subject = subjectOf(config);
  const prefix = `bench.${config.runId}.reply.`;
  const pending = new Map<string, (sum: number) => void>();
  let nextId = 0;
  nc.subscribe(`${prefix}*`, {
    callback: (error, msg) => {
      if (error !== null) return;
      const id = msg.subject.slice(prefix.length);
      const resolve = pending.get(id);
      pending.delete(id);
      resolve?.((unpack(msg.data) as AddReply).sum);
    },
  });
  await nc.flush();
  return {
    info: {},
    call(request) {
      const id = String(nextId++);
      nc.publish(subject, pack(request), { reply: prefix + id });
      return new Promise((resolve) => pending.set(id, resolve));
    },
    close: () => nc.close(),
  };
}

export const natsRequest: SystemSides = { serve, connect: connectRequest };
export const natsInbox: SystemSides = { serve, connect: connectInbox };
