// Moleculer over NATS: two ServiceBrokers (client and server process) on the NATS transporter,
// `broker.call("math.add")`, the whole packet serialized with msgpackr like the other systems.
import Moleculer from "moleculer";
import { pack, unpack } from "msgpackr";
import { add, type AddReply, type AddRequest } from "../payload.js";
import type { ClientSide, SetupConfig, ServerSide, SystemSides } from "./system.js";

class MsgpackrSerializer extends Moleculer.Serializers.Base {
  override serialize(packet: object): Buffer {
    return pack(packet);
  }

  override deserialize(bytes: Buffer): object {
    return unpack(bytes) as object;
  }
}

function makeBroker(config: SetupConfig, role: string): Moleculer.ServiceBroker {
  if (config.natsUrl === undefined) throw new Error("moleculer needs a nats url");
  return new Moleculer.ServiceBroker({
    namespace: `bench-${config.runId}`,
    nodeID: `bench-${role}-${process.pid}`,
    transporter: { type: "NATS", options: { servers: [config.natsUrl] } },
    serializer: new MsgpackrSerializer(),
    logger: false,
    requestTimeout: 30_000,
  });
}

async function serve(config: SetupConfig): Promise<ServerSide> {
  const broker = makeBroker(config, "server");
  broker.createService({ name: "math", actions: { add: (ctx: Moleculer.Context<AddRequest>) => add(ctx.params) } });
  await broker.start();
  return { info: {}, close: () => broker.stop() };
}

async function connect(config: SetupConfig): Promise<ClientSide> {
  const broker = makeBroker(config, "client");
  await broker.start();
  await broker.waitForServices("math", 20_000);
  return {
    info: {},
    call: async (request) => ((await broker.call("math.add", request)) as AddReply).sum,
    close: () => broker.stop(),
  };
}

export const moleculer: SystemSides = { serve, connect };
