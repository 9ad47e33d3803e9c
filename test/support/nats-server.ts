import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "nats";
import { freePort } from "./free-port.js";

/** The nats-server binary the tests start their own servers with (never the system one on 4222). */
export const natsServerBinary = process.env["NATS_SERVER"] ?? "nats-server";

/** Whether the binary runs; when it does not, the suites say how to install it and skip. */
export function natsServerAvailable(): boolean {
  const probe = spawnSync(natsServerBinary, ["--version"], { encoding: "utf8" });
  if (probe.status === 0) return true;
  console.log(`    nats-server not found (${natsServerBinary}): install it (apt-get install -y nats-server, or set NATS_SERVER) to run the NATS tests`);
  return false;
}

export interface NatsServerOptions {
  name?: string;
  port?: number;
  /** This node's cluster port and the routes to the others. */
  cluster?: { port: number; routes: number[] };
  /** Reuse a store directory (to restart a node with its data). */
  storeDir?: string;
}

/** A nats-server process started by a test, with JetStream in its own temporary directory. */
export class NatsServer {
  private exited: Promise<void>;

  private constructor(
    readonly process: ChildProcess,
    readonly port: number,
    readonly storeDir: string,
    private readonly ownsStore: boolean,
  ) {
    this.exited = new Promise((resolve) => process.once("exit", () => resolve()));
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const port = options.port ?? (await freePort());
    const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), "ferry-nats-"));
    const args = ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir];
    if (options.name !== undefined) args.push("-n", options.name);
    if (options.cluster !== undefined) {
      args.push("--cluster_name", "ferry-test", "-cluster", `nats://127.0.0.1:${options.cluster.port}`);
      args.push("-routes", options.cluster.routes.map((route) => `nats://127.0.0.1:${route}`).join(","));
    }
    const child = spawn(natsServerBinary, args, { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    child.stderr!.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4_000)));
    const server = new NatsServer(child, port, storeDir, options.storeDir === undefined);
    await server.ready(() => log);
    return server;
  }

  /** Connects until it works (bounded): the server is then accepting clients. */
  private async ready(log: () => string): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      if (this.process.exitCode !== null) throw new Error(`nats-server exited: ${log()}`);
      try {
        const nc = await connect({ servers: this.url, reconnect: false, timeout: 500 });
        await nc.close();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    throw new Error(`nats-server on ${this.port} did not start: ${log()}`);
  }

  /** kill -9: no goodbye to clients or the cluster. */
  async kill(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill("SIGKILL");
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill("SIGTERM");
    await this.exited;
    if (this.ownsStore) rmSync(this.storeDir, { recursive: true, force: true });
  }
}

/**
 * Starts a nats-server of its own for the enclosing `describe` and stops it after (skipping the
 * suite, with how to install the binary, when there is none). Returns the server's url, to read
 * inside tests.
 */
export function useNatsServer(): () => string {
  let server: NatsServer | undefined;
  before(async function () {
    if (!natsServerAvailable()) return this.skip();
    server = await NatsServer.start();
  });
  after(async () => server?.stop());
  return () => server!.url;
}
