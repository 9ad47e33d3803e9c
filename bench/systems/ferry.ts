// Ferry on each transport, through the public API only: `connect()` and `serve()`.
import { connect, type Ferry, type TopicOptions } from "../../packages/ferry/src/index.js";
import { Broker } from "../../packages/ferry/src/broker/index.js";
import { SystemId } from "../catalog.js";
import { add } from "../payload.js";
import { benchService } from "../service.js";
import type { ClientSide, SetupConfig, ServerSide, SystemSides } from "./system.js";

/** Requests one server handles at once (its prefetch): above the largest in-flight count measured but one. */
export const serverConcurrency = 256;

function isDurable(config: SetupConfig): boolean {
  return config.durableMethod === true || config.system === SystemId.FerryTcpDurable || config.system === SystemId.FerryNatsDurable || config.system === SystemId.FerryRabbitMqDurable;
}

function brokerUrl(config: SetupConfig): string {
  const url = config.ferryUrl ?? config.natsUrl ?? config.amqpUrl;
  if (url === undefined) throw new Error(`${config.system} needs a broker url`);
  return url;
}

/**
 * RabbitMQ queues of their own, under one fixed prefix: a later run reuses the (empty) durable
 * quorum queues of the last instead of leaving new ones on the shared server each time.
 */
const rabbitmq = { prefix: "ferry-bench" };

async function serveOn(ferry: Ferry, config: SetupConfig): Promise<void> {
  const topic: TopicOptions = {
    ...(config.partitions === undefined ? {} : { partitions: config.partitions }),
    ...(config.queueLength === undefined ? {} : { maxLength: config.queueLength }),
  };
  // Only a run that sets topic options declares the topic: the others measure the defaults.
  await ferry.serve(benchService(isDurable(config)), { add }, { concurrency: serverConcurrency, ...(Object.keys(topic).length === 0 ? {} : { topic }) });
}

function clientOf(ferry: Ferry, config: SetupConfig, close: () => Promise<void>): ClientSide {
  const method = benchService(isDurable(config)).methods.add;
  return { info: {}, call: async (request) => (await ferry.call(method, request)).sum, close };
}

async function serve(config: SetupConfig): Promise<ServerSide> {
  const ferry = await connect({ url: brokerUrl(config), rabbitmq });
  await serveOn(ferry, config);
  return { info: {}, close: () => ferry.close() };
}

async function connectClient(config: SetupConfig): Promise<ClientSide> {
  if (config.system === SystemId.FerryInProcess) {
    // Two runtimes on one broker, as two services of one process would be.
    const broker = new Broker();
    const server = await connect({ broker });
    await serveOn(server, config);
    const client = await connect({ broker });
    return clientOf(client, config, async () => {
      await client.close();
      await server.close();
      broker.close();
    });
  }
  const ferry = await connect({ url: brokerUrl(config), rabbitmq });
  return clientOf(ferry, config, () => ferry.close());
}

export const ferry: SystemSides = { serve, connect: connectClient };
