// Ferry over NATS, core and durable mode: calls per second, latency and CPU per call with 1 and
// 64 calls in flight, the server in its own process. It starts its own nats-server (JetStream,
// temporary store); with `--peers <dir>` the peers' nats, nats-inbox and moleculer run against
// that same server first, so every row comes from one server and one run.
//
//   node dist/bench/nats.js [--seconds 5] [--warmup 1] [--conc 64] [--modes seq,conc] [--peers <dir>]
import { fork } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "../connect.js";
import { NatsServer } from "../test/nats/nats-server.js";
import { benchService } from "./bench-service.js";
import { measureModes, parseBenchArgs, printTable, runPeers, type Result } from "./measure.js";

const args = parseBenchArgs(process.argv.slice(2));
const here = fileURLToPath(new URL(".", import.meta.url));
const server = await NatsServer.start();
process.env.NATS_URL = server.url; // the peers connect to the same server

async function run(durable: boolean): Promise<Result[]> {
  const child = fork(join(here, "server-child.js"), [server.url, durable ? "durable" : "memory", args.validate ? "validate" : "no"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`the server process exited with ${code}`)));
  });
  const client = await connect({ url: server.url });
  const Bench = benchService({ durable, validate: args.validate });
  const results = await measureModes(durable ? "ferry nats durable" : "ferry nats core", client, Bench.methods.add, args);
  await client.close();
  child.send("stop");
  await new Promise((resolve) => child.once("exit", resolve));
  return results;
}

try {
  const peers = args.peers === undefined ? [] : runPeers(args.peers, ["tcp", "nats", "nats-inbox", "moleculer"], args);
  const results = [...(await run(false)), ...(await run(true))];
  printTable([...peers, ...results], `node ${process.version}, payload 100 B, one nats-server (JetStream, R1), server in its own process; cpu us/call is this process only`);
} finally {
  await server.stop();
}
