// The stream bench: items/s of a Ferry stream (TCP broker, NATS core) against a raw TCP stream and
// a hand-built NATS stream, in the same run, in interleaved rounds; then the peak memory of
// client, broker and server under a slow consumer.
//
//   npm run build && node dist/bench/stream/stream-bench.js [--rounds 5] [--window 1024] [--window-bytes 1048576] [--json]
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startBrokerProcess } from "../../test/support/broker-process.js";
import { NatsServer } from "../../test/support/nats-server.js";
import { defaultStreamWindow, defaultStreamWindowBytes } from "../../packages/ferry/src/core/defaults.js";
import { formatBytes, formatCount, formatRatio } from "../format.js";
import { RssSampler, statusMiB } from "../proc.js";
import { ferryClient, natsInboxClient, rawTcpClient, type StreamClient } from "./stream-clients.js";

const { values } = parseArgs({ options: { rounds: { type: "string" }, window: { type: "string" }, "window-bytes": { type: "string" }, json: { type: "boolean" } } });
const rounds = Number(values.rounds ?? 5);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${values.rounds}`);

/** Items per stream, per item size: each stream takes about a second on a quiet machine. */
const itemCounts: ReadonlyMap<number, number> = new Map([
  [100, 100_000],
  [16 * 1024, 10_000],
]);
/** The Ferry streams' credit window: the runtime's default unless `--window` says otherwise. */
const window = Number(values.window ?? defaultStreamWindow);
if (!Number.isInteger(window) || window < 1) throw new Error(`--window must be a positive integer, got ${values.window}`);
/** Their byte window: the runtime's default unless `--window-bytes` says otherwise. */
const windowBytes = Number(values["window-bytes"] ?? defaultStreamWindowBytes);
if (!Number.isInteger(windowBytes) || windowBytes < 1) throw new Error(`--window-bytes must be a positive integer, got ${values["window-bytes"]}`);
const windows = `window ${formatCount(window)} items / ${formatBytes(windowBytes)}`;
/** The slow consumer: this long per item, over this many 16 KiB items. */
const slow = { itemMs: 2, items: 2_000, size: 16 * 1024 };

const serverScript = fileURLToPath(new URL("./stream-server.js", import.meta.url));

/** Forks a stream server and waits for it to serve. */
async function startServer(args: string[]): Promise<{ child: ChildProcess; info: Record<string, unknown> }> {
  const child = fork(serverScript, args, { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.once("message", (message) => resolve(message as Record<string, unknown>));
    child.once("exit", (code) => reject(new Error(`stream server ${args[0]} exited with code ${code}`)));
  });
  return { child, info };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.send("stop");
  await exited;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface System {
  id: "ferry-tcp" | "ferry-nats" | "raw-tcp" | "nats-inbox";
  label: string;
  client: StreamClient;
  server: ChildProcess;
}

const broker = await startBrokerProcess();
const nats = await NatsServer.start();
const servers = {
  ferryTcp: await startServer(["ferry", broker.url]),
  ferryNats: await startServer(["ferry", nats.url]),
  rawTcp: await startServer(["raw-tcp"]),
  natsInbox: await startServer(["nats-inbox", nats.url]),
};
const systems: System[] = [
  { id: "ferry-tcp", label: "Ferry stream, TCP broker", client: await ferryClient(broker.url, { window, windowBytes }), server: servers.ferryTcp.child },
  { id: "ferry-nats", label: "Ferry stream, NATS core", client: await ferryClient(nats.url, { window, windowBytes }), server: servers.ferryNats.child },
  { id: "raw-tcp", label: "raw TCP stream", client: rawTcpClient(Number(servers.rawTcp.info["port"])), server: servers.rawTcp.child },
  { id: "nats-inbox", label: "hand-built NATS stream", client: await natsInboxClient(nats.url), server: servers.natsInbox.child },
];

/** Items/s of one stream of `count` items. */
async function measure(system: System, count: number, size: number): Promise<number> {
  const started = process.hrtime.bigint();
  const taken = await system.client.run(count, size);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (taken !== count) throw new Error(`${system.label} took ${taken} of ${count} items`);
  return count / seconds;
}

const throughput: Record<string, Record<string, number[]>> = {};
for (const [size, count] of itemCounts) {
  const bySystem: Record<string, number[]> = Object.fromEntries(systems.map((system) => [system.id, []]));
  for (const system of systems) await measure(system, Math.min(count, 5_000), size); // warm-up
  for (let round = 0; round < rounds; round++) {
    // Interleaved: every round runs every system once, starting with a different one.
    for (let i = 0; i < systems.length; i++) {
      const system = systems[(round + i) % systems.length]!;
      bySystem[system.id]!.push(await measure(system, count, size));
    }
    process.stderr.write(`  ${formatBytes(size)} round ${round + 1}/${rounds}\n`);
  }
  throughput[String(size)] = bySystem;
}

/** Median over rounds of the per-round ratio a/b. */
function ratio(size: number, a: string, b: string): number {
  const of = throughput[String(size)]!;
  return median(of[a]!.map((value, round) => value / of[b]![round]!));
}

// Peak resident memory under a slow consumer: client (this process), broker and server.
/** Peak RSS of each process during the slow stream, and how much above its RSS just before. */
interface PeakMemory {
  label: string;
  client: number;
  broker: number;
  server: number;
  growth: { client: number; broker: number; server: number };
}
const memory: PeakMemory[] = [];
const slowCases = [
  { system: systems[0]!, brokerPid: broker.child.pid!, label: `Ferry stream, TCP broker, ${windows}` },
  { system: systems[1]!, brokerPid: nats.process.pid!, label: `Ferry stream, NATS core, ${windows}` },
  { system: systems[3]!, brokerPid: nats.process.pid!, label: "hand-built NATS stream (no flow control)" },
];
for (const { system, brokerPid, label } of slowCases) {
  const pids = new Map([["client", process.pid], ["broker", brokerPid], ["server", system.server.pid!]] as const);
  const before = { client: statusMiB(process.pid, "VmRSS"), broker: statusMiB(brokerPid, "VmRSS"), server: statusMiB(system.server.pid!, "VmRSS") };
  const sampler = new RssSampler(pids, 50);
  const taken = await system.client.run(slow.items, slow.size, slow.itemMs);
  sampler.sample();
  sampler.stop();
  if (taken !== slow.items) throw new Error(`${label} took ${taken} of ${slow.items} items`);
  const peak = { client: sampler.peak("client"), broker: sampler.peak("broker"), server: sampler.peak("server") };
  memory.push({ label, ...peak, growth: { client: peak.client - before.client, broker: peak.broker - before.broker, server: peak.server - before.server } });
}

for (const system of systems) await system.client.close();
for (const server of Object.values(servers)) await stopServer(server.child);
await broker.stop();
await nats.stop();

const sizes = [...itemCounts.keys()];
const report = {
  rounds,
  window,
  windowBytes,
  itemsPerStream: Object.fromEntries(itemCounts),
  medianItemsPerSecond: Object.fromEntries(sizes.map((size) => [size, Object.fromEntries(systems.map((system) => [system.id, Math.round(median(throughput[String(size)]![system.id]!))]))])),
  medianRatios: Object.fromEntries(
    sizes.map((size) => [
      size,
      { ferryTcpToRawTcp: ratio(size, "ferry-tcp", "raw-tcp"), ferryNatsToNatsInbox: ratio(size, "ferry-nats", "nats-inbox"), ferryTcpToNatsInbox: ratio(size, "ferry-tcp", "nats-inbox") },
    ]),
  ),
  slowConsumer: { ...slow, peakRssMiB: memory },
};
if (values.json === true) console.log(JSON.stringify(report));
else {
  console.log(`Stream throughput, items/s (median of ${rounds} interleaved rounds; one stream of ${sizes.map((size) => `${formatCount(itemCounts.get(size)!)} x ${formatBytes(size)}`).join(", ")}):`);
  console.log(`| system | ${sizes.map(formatBytes).join(" | ")} |`);
  console.log(`|---|${sizes.map(() => "---:").join("|")}|`);
  for (const system of systems) console.log(`| ${system.label} | ${sizes.map((size) => formatCount(report.medianItemsPerSecond[size]![system.id]!)).join(" | ")} |`);
  for (const size of sizes) {
    const ratios = report.medianRatios[size]!;
    console.log(
      `${formatBytes(size)}: Ferry TCP / raw TCP ${formatRatio(ratios.ferryTcpToRawTcp)}, Ferry NATS / hand-built NATS ${formatRatio(ratios.ferryNatsToNatsInbox)}, Ferry TCP / hand-built NATS ${formatRatio(ratios.ferryTcpToNatsInbox)}`,
    );
  }
  console.log(`\nPeak RSS in MiB (and its growth during the stream) under a slow consumer (${formatCount(slow.items)} items of ${formatBytes(slow.size)}, ${slow.itemMs} ms per item):`);
  console.log("| stream | client | broker | server |");
  console.log("|---|---:|---:|---:|");
  const cell = (peak: number, growth: number) => `${Math.round(peak)} (+${Math.max(0, Math.round(growth))})`;
  for (const row of memory) console.log(`| ${row.label} | ${cell(row.client, row.growth.client)} | ${cell(row.broker, row.growth.broker)} | ${cell(row.server, row.growth.server)} |`);
}
