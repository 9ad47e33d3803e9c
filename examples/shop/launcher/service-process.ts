import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ConnectOptions } from "../../../packages/ferry/src/index.js";
import { ServiceMessage } from "../services/run-service.js";
import { ShopProcess } from "./shop-process.js";

export type ServiceName = "orders" | "inventory" | "payments";

export interface ServiceProcess {
  readonly process: ShopProcess;
  /** Resolves once the service serves; rejects if it exits first. */
  readonly ready: Promise<void>;
}

/**
 * Forks `services/<name>-service.js` with the connect options it needs, and shows each line it
 * prints as `[name] line`.
 */
export function forkService(name: ServiceName, connectOptions: ConnectOptions, log: (line: string) => void): ServiceProcess {
  const script = fileURLToPath(new URL(`../services/${name}-service.js`, import.meta.url));
  const child = fork(script, [JSON.stringify(connectOptions)], { stdio: ["ignore", "pipe", "pipe", "ipc"] });
  const service = new ShopProcess(name, child, (line, stream) => log(`  [${name}]${stream === "stderr" ? " (stderr)" : ""} ${line}`));
  const ready = new Promise<void>((resolve, reject) => {
    child.on("message", (message) => message === ServiceMessage.Ready && resolve());
    void service.exited.then((exit) => reject(new Error(`${name} exited (code ${exit.code}) before it was ready`)));
  });
  return { process: service, ready };
}

/** Asks a service to stop: it drains its handlers, closes its connection and exits. */
export function stopService(service: ShopProcess): ReturnType<ShopProcess["stop"]> {
  return service.stop((child) => (child.connected ? child.send(ServiceMessage.Stop) : child.kill("SIGTERM")));
}
