// Ferry over its TCP broker, client / broker / server in three processes: calls per second,
// latency and CPU per call (all three processes) with 1 and 64 calls in flight, non-durable and
// durable with fsync=always. With `--peers <dir>` the peers' tcp and nats-inbox run first, so
// ratios come from one run.
//
//   node dist/bench/tcp-broker.js [--seconds 5] [--warmup 1] [--conc 64] [--modes seq,conc] [--peers <dir>]
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "../connect.js";
import { benchService } from "./bench-service.js";
import { measureModes, parseBenchArgs, printTable, runPeers, type Result } from "./measure.js";

const args = parseBenchArgs(process.argv.slice(2));
const here = fileURLToPath(new URL(".", import.meta.url));

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function started(child: ChildProcess, ready: (chunk: string) => boolean): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => ready(chunk.toString()) && resolve());
    child.on("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`child exited with ${code}`)));
  });
}

async function run(durable: boolean): Promise<Result[]> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "ferry-bench-"));
  const brokerArgs = ["broker", "--port", String(port), ...(durable ? ["--data", dataDir, "--fsync", "always"] : [])];
  const broker = fork(join(here, "../cli/main.js"), brokerArgs, { stdio: ["ignore", "pipe", "ignore", "ipc"] });
  await started(broker, (out) => out.includes("listening"));
  const url = `ferry://127.0.0.1:${port}`;
  const server = fork(join(here, "server-child.js"), [url, durable ? "durable" : "memory", args.validate ? "validate" : "no"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  await started(server, () => false);
  const client = await connect({ url });
  const Bench = benchService({ durable, validate: args.validate });
  const system = durable ? "ferry tcp durable" : "ferry tcp";
  const results: Result[] = [];
  for (const mode of args.modes) {
    const before = { broker: cpuMs(broker.pid!), server: cpuMs(server.pid!) };
    const [result] = await measureModes(system, client, Bench.methods.add, { ...args, modes: [mode], warmup: args.warmup });
    if (result === undefined) continue;
    const otherMs = cpuMs(broker.pid!) - before.broker + (cpuMs(server.pid!) - before.server);
    // Other processes' CPU covers warm-up and measurement: scale it to the measured calls' share.
    const share = args.seconds / (args.seconds + args.warmup);
    result.cpuUsPerCall = Math.round((result.cpuUsPerCall + (otherMs * 1000 * share) / result.calls) * 10) / 10;
    results.push(result);
  }
  await client.close();
  server.send("stop");
  broker.kill("SIGTERM");
  await Promise.all([new Promise((resolve) => server.once("exit", resolve)), new Promise((resolve) => broker.once("exit", resolve))]);
  rmSync(dataDir, { recursive: true, force: true });
  return results;
}

const peers = args.peers === undefined ? [] : runPeers(args.peers, ["tcp", "nats-inbox", "moleculer"], args);
const results = [...(await run(false)), ...(await run(true))];
printTable([...peers, ...results], `node ${process.version}, payload 100 B, client / broker / server in three processes; cpu us/call covers all of them`);
