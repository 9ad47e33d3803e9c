// The run's own nats-server: a free port, JetStream in a temporary store. Ferry NATS and every
// NATS peer use this one server in a run, so their ratios compare like with like.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "nats";

const binary = process.env["NATS_SERVER"] ?? "nats-server";

/** The binary's version (`v2.9.10`), or null when it is not installed. */
export function natsServerVersion(): string | null {
  const probe = spawnSync(binary, ["--version"], { encoding: "utf8" });
  return probe.status === 0 ? (/v[\d.]+/.exec(probe.stdout)?.[0] ?? probe.stdout.trim()) : null;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class NatsServerProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly storeDir: string,
  ) {}

  get pid(): number {
    return this.child.pid!;
  }

  static async start(): Promise<NatsServerProcess> {
    const port = await freePort();
    const storeDir = mkdtempSync(join(tmpdir(), "ferry-bench-nats-"));
    const child = spawn(binary, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    child.stderr!.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-2_000)));
    const server = new NatsServerProcess(child, `nats://127.0.0.1:${port}`, storeDir);
    for (let attempt = 0; ; attempt++) {
      if (child.exitCode !== null) throw new Error(`nats-server exited: ${log}`);
      try {
        await (await connect({ servers: server.url, reconnect: false, timeout: 500 })).close();
        return server;
      } catch (error) {
        if (attempt === 200) {
          await server.stop();
          throw new Error(`nats-server did not accept connections: ${(error as Error).message} ${log}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once("exit", resolve));
      this.child.kill("SIGTERM");
      await exited;
    }
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
