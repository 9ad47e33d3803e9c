// Small benchmark of Ferry on the in-process embedded broker: calls per second and latency with
// 1 and 64 calls in flight, every hop fully encoded (envelope + body, both ways). With
// `--peers <dir>` it first runs the raw-TCP baseline of a writable copy of shared/bench-peers
// (`node bench.mjs tcp`) so the ratio comes from one run on one machine.
//
//   node dist/bench/in-process.js [--seconds 5] [--warmup 1] [--conc 64] [--no-validate] [--modes seq,conc] [--peers <dir>]
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ferry } from "../core/ferry.js";
import { defineService, method } from "../core/definition.js";
import { encodeValue } from "../core/codec.js";
import { Broker } from "../transports/embedded/broker.js";
import { InProcessTransport } from "../transports/embedded/in-process-transport.js";

interface AddRequest {
  a: number;
  b: number;
  note: string;
}

const options = parseArgs(process.argv.slice(2));

/** The same request as the peer benchmark: msgpack of {a, b, note}, 100 bytes. */
const note = (() => {
  const base = "the quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnopqrstuvwxyz";
  for (let n = 0; n < base.length; n++) if (encodeValue({ a: 0.25, b: 1.5, note: base.slice(0, n) }).length === 100) return base.slice(0, n);
  throw new Error("cannot pad the payload to 100 bytes");
})();

const validateAdd = (value: unknown) => {
  const request = value as Partial<AddRequest> | null;
  if (typeof request !== "object" || request === null) return [{ path: "req", message: "expected object" }];
  const issues = [];
  if (typeof request.a !== "number") issues.push({ path: "req.a", message: "expected number" });
  if (typeof request.b !== "number") issues.push({ path: "req.b", message: "expected number" });
  if (typeof request.note !== "string") issues.push({ path: "req.note", message: "expected string" });
  return issues;
};

const Bench = defineService("Bench", {
  add: method<AddRequest, { sum: number }>(options.validate ? { validateRequest: validateAdd } : {}),
});

interface Result {
  mode: string;
  calls: number;
  callsPerSecond: number;
  p50us: number;
  p99us: number;
  p999us: number;
  cpuUsPerCall: number;
}

async function measure(ferry: Ferry, inFlight: number, ms: number, record: boolean): Promise<Omit<Result, "mode">> {
  const latencies: number[] = [];
  let calls = 0;
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const end = started + ms;
  const worker = async () => {
    while (performance.now() < end) {
      const i = next++;
      const sentAt = performance.now();
      const { sum } = await ferry.call(Bench.methods.add, { a: i + 0.25, b: 1.5, note });
      if (sum !== i + 1.75) throw new Error(`wrong sum ${sum} for call ${i}`);
      if (record) latencies.push(performance.now() - sentAt);
      calls++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((x, y) => x - y);
  const pct = (p: number) => (latencies.length === 0 ? NaN : latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]! * 1000);
  return {
    calls,
    callsPerSecond: Math.round((calls / elapsedMs) * 1000),
    p50us: round(pct(50)),
    p99us: round(pct(99)),
    p999us: round(pct(99.9)),
    cpuUsPerCall: round((cpu.user + cpu.system) / calls),
  };
}

async function main(): Promise<void> {
  const tcp = options.peers === undefined ? undefined : runTcpBaseline(options.peers);
  const broker = new Broker();
  const server = new Ferry(new InProcessTransport(broker));
  const client = new Ferry(new InProcessTransport(broker));
  await Promise.all([server.start(), client.start()]);
  await server.serve(Bench, { add: ({ a, b }) => ({ sum: a + b }) }, { concurrency: Math.max(64, options.conc) });

  const results: Result[] = [];
  const modes = [["seq", 1], [`conc${options.conc}`, options.conc]] as const;
  for (const [mode, inFlight] of modes.filter(([name]) => options.modes.some((wanted) => name.startsWith(wanted)))) {
    process.stderr.write(`ferry in-process ${mode}: warmup ${options.warmup}s, measure ${options.seconds}s\n`);
    await measure(client, inFlight, options.warmup * 1000, false);
    results.push({ mode, ...(await measure(client, inFlight, options.seconds * 1000, true)) });
  }
  await client.close();
  await server.close();
  broker.close();

  console.log(`node ${process.version}, payload 100 B, validation ${options.validate ? "on" : "off"}`);
  console.log("system            mode     calls/s    p50 us   p99 us  p99.9 us  cpu us/call  thru vs tcp");
  for (const row of tcp ?? []) printRow("raw tcp (peers)", row, undefined);
  for (const row of results) {
    const baseline = tcp?.find((t) => (row.mode === "seq" ? t.mode === "seq" : t.mode !== "seq"));
    printRow("ferry in-process", row, baseline);
  }
}

function printRow(system: string, row: Result, baseline: Result | undefined): void {
  const ratio = baseline === undefined ? "" : (row.callsPerSecond / baseline.callsPerSecond).toFixed(2) + "x";
  console.log(
    `${system.padEnd(17)} ${row.mode.padEnd(7)} ${String(row.callsPerSecond).padStart(9)} ${String(row.p50us).padStart(9)} ${String(row.p99us).padStart(8)} ${String(row.p999us).padStart(9)} ${String(row.cpuUsPerCall).padStart(12)}  ${ratio}`,
  );
}

/** Runs the peers' raw-TCP mode and reads the results file it writes. */
function runTcpBaseline(dir: string): Result[] {
  process.stderr.write(`raw tcp baseline: node bench.mjs tcp in ${dir}\n`);
  const before = new Set(readdirSync(dir));
  execFileSync(process.execPath, ["bench.mjs", "tcp", "--seconds", String(options.seconds), "--warmup", String(options.warmup), "--conc", String(options.conc)], {
    cwd: dir,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const file = readdirSync(dir).find((name) => name.startsWith("results-") && !before.has(name));
  if (file === undefined) throw new Error("the peer benchmark wrote no results file");
  const report = JSON.parse(readFileSync(join(dir, file), "utf8")) as { results: Record<string, unknown>[] };
  return report.results.map((r) => ({
    mode: String(r.mode),
    calls: Number(r.calls),
    callsPerSecond: Math.round(Number(r.callsPerSec ?? r.callsPerSecond ?? r.rps)),
    p50us: round(Number(r.p50us ?? r.p50)),
    p99us: round(Number(r.p99us ?? r.p99)),
    p999us: round(Number(r.p999us ?? r.p999)),
    cpuUsPerCall: round(Number(r.cpuUsPerCall ?? NaN)),
  }));
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function parseArgs(argv: string[]): { seconds: number; warmup: number; conc: number; validate: boolean; peers: string | undefined; modes: string[] } {
  const parsed = { seconds: 5, warmup: 1, conc: 64, validate: true, peers: undefined as string | undefined, modes: ["seq", "conc"] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--seconds") parsed.seconds = Number(argv[++i]);
    else if (arg === "--warmup") parsed.warmup = Number(argv[++i]);
    else if (arg === "--conc") parsed.conc = Number(argv[++i]);
    else if (arg === "--no-validate") parsed.validate = false;
    else if (arg === "--peers") parsed.peers = argv[++i];
    else if (arg === "--modes") parsed.modes = String(argv[++i]).split(",");
    else throw new Error(`unknown argument ${arg}; usage: in-process.js [--seconds N] [--warmup N] [--conc N] [--no-validate] [--modes seq,conc] [--peers <dir>]`);
  }
  return parsed;
}

await main();
