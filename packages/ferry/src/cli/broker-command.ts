import { readFileSync } from "node:fs";
import { startBroker, type BrokerServerOptions } from "../broker/server/broker-server.js";
import { UsageError } from "./cli-errors.js";
import type { ParsedCommandArgs } from "./command-spec.js";
import type { CommandRun } from "./commands.js";
import type { MetricsServer } from "../broker/metrics/metrics-server.js";

/** `ferry broker`: runs the embedded broker as a standalone TCP server until SIGINT or SIGTERM. */
export const brokerCommand: CommandRun = async (args) => {
  const options = brokerOptions(args);
  // The metrics endpoint starts first: /healthz answers, and /readyz says 503 until the broker listens.
  const metrics = await startMetricsEndpoint(args);
  const running = await startBroker(options);
  metrics?.serve({ broker: running.broker, connections: () => running.connections });
  process.stdout.write(`ferry broker listening on ${running.url}\n`);
  if (metrics !== undefined) process.stdout.write(`ferry broker metrics on ${metrics.url}/metrics\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  metrics?.unready();
  await running.close();
  await metrics?.close();
  return 0;
};

async function startMetricsEndpoint({ strings }: ParsedCommandArgs): Promise<MetricsServer | undefined> {
  const port = strings.get("metrics-port");
  const host = strings.get("metrics-host");
  if (port === undefined) {
    if (host !== undefined) throw new UsageError("--metrics-host needs --metrics-port");
    return undefined;
  }
  if (!/^\d+$/.test(port) || Number(port) > 65535) throw new UsageError(`--metrics-port must be a whole number 0..65535, got ${JSON.stringify(port)}`);
  const { startMetricsServer } = await import("../broker/metrics/metrics-server.js");
  return startMetricsServer({ port: Number(port), ...(host === undefined ? {} : { host }) });
}

export function brokerOptions({ strings }: ParsedCommandArgs): BrokerServerOptions {
  const options: BrokerServerOptions = {};
  const port = strings.get("port");
  if (port !== undefined) {
    options.port = Number(port);
    if (!/^\d+$/.test(port) || options.port > 65535) throw new UsageError(`--port must be a whole number 0..65535, got ${JSON.stringify(port)}`);
  }
  const host = strings.get("host");
  if (host !== undefined) options.host = host;
  const token = strings.get("token") ?? process.env.FERRY_TOKEN;
  if (token !== undefined) options.token = token;
  const data = strings.get("data");
  if (data !== undefined) options.dataDir = data;
  const fsync = strings.get("fsync");
  if (fsync !== undefined) {
    if (fsync !== "always" && fsync !== "interval" && fsync !== "never") throw new UsageError(`--fsync must be always, interval or never, got ${JSON.stringify(fsync)}`);
    if (data === undefined) throw new UsageError("--fsync needs --data");
    options.fsync = fsync;
  }
  const cert = strings.get("tls-cert");
  const key = strings.get("tls-key");
  if ((cert === undefined) !== (key === undefined)) throw new UsageError("--tls-cert and --tls-key go together");
  if (cert !== undefined && key !== undefined) options.tls = { cert: readFileSync(cert), key: readFileSync(key) };
  return options;
}
