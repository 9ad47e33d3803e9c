// Ferry on the in-process embedded broker: calls per second and latency with 1 and 64 calls in
// flight, every hop fully encoded (envelope + body, both ways). With `--peers <dir>` it first
// runs the raw-TCP baseline of a writable copy of shared/bench-peers, so ratios come from one run.
//
//   node dist/bench/in-process.js [--seconds 5] [--warmup 1] [--conc 64] [--no-validate] [--modes seq,conc] [--peers <dir>]
import { Ferry } from "../core/ferry.js";
import { Broker } from "../transports/embedded/broker.js";
import { InProcessTransport } from "../transports/embedded/in-process-transport.js";
import { addHandler, benchService } from "./bench-service.js";
import { measureModes, parseBenchArgs, printTable, runPeers } from "./measure.js";

const args = parseBenchArgs(process.argv.slice(2));
const peers = args.peers === undefined ? [] : runPeers(args.peers, ["tcp"], args);
const Bench = benchService({ validate: args.validate, durable: false });
const broker = new Broker();
const server = new Ferry(new InProcessTransport(broker));
const client = new Ferry(new InProcessTransport(broker));
await Promise.all([server.start(), client.start()]);
await server.serve(Bench, addHandler, { concurrency: Math.max(64, args.conc) });
const results = await measureModes("ferry in-process", client, Bench.methods.add, args);
await client.close();
await server.close();
broker.close();
printTable([...peers, ...results], `node ${process.version}, payload 100 B, validation ${args.validate ? "on" : "off"}`);
