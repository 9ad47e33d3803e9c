// The machine a run came from, as the README states it beside the figures.
import { readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { MachineInfo } from "./results.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const measuredPackages = ["nats", "amqplib", "moleculer", "msgpackr"];

function packageVersion(name: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return null;
  }
}

export function machineInfo(natsServer: string | null, rabbitmq: string | null): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    natsServer,
    rabbitmq,
    packages: Object.fromEntries(measuredPackages.map((name) => [name, packageVersion(name)])),
  };
}
