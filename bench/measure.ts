import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Ferry } from "../core/ferry.js";
import type { MethodDefinition } from "../core/definition.js";
import { note, type AddRequest } from "./bench-service.js";

export interface Result {
  system: string;
  mode: string;
  calls: number;
  callsPerSecond: number;
  p50us: number;
  p99us: number;
  p999us: number;
  /** CPU of this process per call; add `serverCpuUsPerCall` etc. for the whole path. */
  cpuUsPerCall: number;
}

export interface BenchArgs {
  seconds: number;
  warmup: number;
  conc: number;
  validate: boolean;
  peers: string | undefined;
  modes: string[];
  extra: Map<string, string>;
}

/** Keeps `inFlight` calls going for `ms` and reports throughput, latency percentiles and CPU. */
export async function measure(ferry: Ferry, add: MethodDefinition<AddRequest, { sum: number }>, inFlight: number, ms: number): Promise<Omit<Result, "system" | "mode">> {
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
      const { sum } = await ferry.call(add, { a: i + 0.25, b: 1.5, note });
      if (sum !== i + 1.75) throw new Error(`wrong sum ${sum} for call ${i}`);
      latencies.push(performance.now() - sentAt);
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

/** Runs both modes (1 and `conc` in flight) with a warm-up each. */
export async function measureModes(system: string, ferry: Ferry, add: MethodDefinition<AddRequest, { sum: number }>, args: BenchArgs): Promise<Result[]> {
  const results: Result[] = [];
  const modes = [["seq", 1], [`conc${args.conc}`, args.conc]] as const;
  for (const [mode, inFlight] of modes.filter(([name]) => args.modes.some((wanted) => name.startsWith(wanted)))) {
    process.stderr.write(`${system} ${mode}: warmup ${args.warmup}s, measure ${args.seconds}s\n`);
    await measure(ferry, add, inFlight, args.warmup * 1000);
    results.push({ system, mode, ...(await measure(ferry, add, inFlight, args.seconds * 1000)) });
  }
  return results;
}

/** One row of the peers' results file (shared/bench-peers/bench.mjs), the fields read here. */
interface PeerResult {
  system: string;
  mode: string;
  calls: number;
  callsPerSec: number;
  p50us: number;
  p99us: number;
  p999us: number;
  cpuUsPerCall: number;
}

/** Runs the peers' benchmark for `systems` in a writable copy of shared/bench-peers and reads its results file. */
export function runPeers(dir: string, systems: string[], args: BenchArgs): Result[] {
  process.stderr.write(`peers: node bench.mjs ${systems.join(" ")} in ${dir}\n`);
  const before = new Set(readdirSync(dir));
  execFileSync(process.execPath, ["bench.mjs", ...systems, "--seconds", String(args.seconds), "--warmup", String(args.warmup), "--conc", String(args.conc)], {
    cwd: dir,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const file = readdirSync(dir).find((name) => name.startsWith("results-") && !before.has(name));
  if (file === undefined) throw new Error("the peer benchmark wrote no results file");
  const report = JSON.parse(readFileSync(join(dir, file), "utf8")) as { results: PeerResult[] };
  return report.results.map((r) => ({
    system: `${r.system} (peers)`,
    mode: r.mode,
    calls: r.calls,
    callsPerSecond: r.callsPerSec,
    p50us: r.p50us,
    p99us: r.p99us,
    p999us: r.p999us,
    cpuUsPerCall: r.cpuUsPerCall,
  }));
}

/** Prints a table with each row's throughput as a ratio to raw TCP in the same mode of the same run. */
export function printTable(rows: Result[], header: string): void {
  console.log(header);
  console.log("system                   mode       calls/s    p50 us   p99 us  p99.9 us  cpu us/call  thru vs tcp");
  for (const row of rows) {
    const tcp = rows.find((r) => r.system.startsWith("tcp") && (row.mode === "seq" ? r.mode === "seq" : r.mode !== "seq"));
    const ratio = tcp === undefined ? "" : `${(row.callsPerSecond / tcp.callsPerSecond).toFixed(2)}x`;
    console.log(
      `${row.system.padEnd(24)} ${row.mode.padEnd(7)} ${String(row.callsPerSecond).padStart(10)} ${String(row.p50us).padStart(9)} ${String(row.p99us).padStart(8)} ${String(row.p999us).padStart(9)} ${String(row.cpuUsPerCall).padStart(12)}  ${ratio}`,
    );
  }
}

export function parseBenchArgs(argv: string[], extraValues: readonly string[] = []): BenchArgs {
  const parsed: BenchArgs = { seconds: 5, warmup: 1, conc: 64, validate: true, peers: undefined, modes: ["seq", "conc"], extra: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--seconds") parsed.seconds = Number(argv[++i]);
    else if (arg === "--warmup") parsed.warmup = Number(argv[++i]);
    else if (arg === "--conc") parsed.conc = Number(argv[++i]);
    else if (arg === "--no-validate") parsed.validate = false;
    else if (arg === "--peers") parsed.peers = argv[++i];
    else if (arg === "--modes") parsed.modes = String(argv[++i]).split(",");
    else if (extraValues.includes(arg.slice(2))) parsed.extra.set(arg.slice(2), String(argv[++i]));
    else throw new Error(`unknown argument ${arg}; usage: [--seconds N] [--warmup N] [--conc N] [--no-validate] [--modes seq,conc] [--peers <dir>]`);
  }
  return parsed;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
