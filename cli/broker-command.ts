import { readFileSync } from "node:fs";
import { startBroker, type BrokerServerOptions } from "../transports/embedded/wire/broker-server.js";
import { parseFlags, UsageError } from "./args.js";
import type { Command } from "./main.js";
import { usageLines } from "./usage.js";

/** `ferry broker`: runs the embedded broker as a standalone TCP server until SIGINT or SIGTERM. */
export const brokerCommand: Command = async (args) => {
  let options: BrokerServerOptions;
  try {
    options = brokerOptions(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`ferry broker: ${error.message}\nusage: ${usageLines.broker}\n`);
    return 2;
  }
  const running = await startBroker(options);
  process.stdout.write(`ferry broker listening on ${running.url}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await running.close();
  return 0;
};

function brokerOptions(args: readonly string[]): BrokerServerOptions {
  const { values, positional } = parseFlags(args, { values: ["port", "host", "data", "fsync", "token", "tls-cert", "tls-key"], flags: [] });
  if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
  const options: BrokerServerOptions = {};
  const port = values.get("port");
  if (port !== undefined) {
    options.port = Number(port);
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new UsageError(`--port must be 0..65535, got ${port}`);
  }
  const host = values.get("host");
  if (host !== undefined) options.host = host;
  const token = values.get("token") ?? process.env.FERRY_TOKEN;
  if (token !== undefined) options.token = token;
  const data = values.get("data");
  if (data !== undefined) options.dataDir = data;
  const fsync = values.get("fsync");
  if (fsync !== undefined) {
    if (fsync !== "always" && fsync !== "interval" && fsync !== "never") throw new UsageError(`--fsync must be always, interval or never, got ${fsync}`);
    if (data === undefined) throw new UsageError("--fsync needs --data");
    options.fsync = fsync;
  }
  const cert = values.get("tls-cert");
  const key = values.get("tls-key");
  if ((cert === undefined) !== (key === undefined)) throw new UsageError("--tls-cert and --tls-key go together");
  if (cert !== undefined && key !== undefined) options.tls = { cert: readFileSync(cert), key: readFileSync(key) };
  return options;
}
