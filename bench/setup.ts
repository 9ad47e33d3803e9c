// One setup: start a system's processes (broker, server, client), measure its cells one after
// the other on the same processes, stop them. A missing broker makes every cell `skipped`.
import { BrokerKind, systemInfo, SystemId } from "./catalog.js";
import { formatBytes, formatCount, formatLatency } from "./format.js";
import type { LoadResult } from "./load.js";
import type { CellSpec, SetupPlan } from "./plan.js";
import { BenchChild, FerryBrokerProcess } from "./processes.js";
import { availableParallelism } from "node:os";
import { cpuMs, machineBusyMs, RssSampler } from "./proc.js";
import type { Progress } from "./progress.js";
import type { CellResult, Role } from "./results.js";
import type { SetupConfig } from "./systems/system.js";

/** What setups share in a run: the one nats-server, RabbitMQ's whereabouts, timing. */
export interface RunEnvironment {
  seconds: number;
  warmupSeconds: number;
  progress: Progress;
  /** Why a system cannot run here (its broker is missing), or undefined. */
  unavailable(system: SystemId): string | undefined;
  /** The run's nats-server, started on first use. */
  nats(): Promise<{ url: string; pid: number }>;
  amqpUrl: string;
  rabbitmqPid: number | undefined;
  /** Facts a client reported (the RabbitMQ version), kept for the machine section. */
  remember(info: Record<string, unknown>): void;
  nextRunId(): string;
}

/** Slack on top of a cell's own duration before it counts as hung. */
const cellGraceMs = 60_000;

export function cellLabel(system: SystemId, cell: CellSpec, partitions: number | null): string {
  return `${system} · ${cell.inFlight} in flight · ${formatBytes(cell.payloadBytes)}${partitions === null ? "" : ` · ${partitions} partitions`}`;
}

function emptyCell(system: SystemId, cell: CellSpec, partitions: number | null, status: "skipped" | "failed", reason: string): CellResult {
  return {
    system,
    ...cell,
    partitions,
    status,
    reason,
    calls: 0,
    errors: 0,
    seconds: 0,
    callsPerSecond: 0,
    latencyUs: { count: 0, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN },
    cpuUsPerCall: NaN,
    processes: {},
    otherCpuPercent: NaN,
  };
}

/** The CPU of the cell's processes, of the runner itself and of the whole machine, ms. */
interface CpuReading {
  roles: Map<Role, number>;
  runnerMs: number;
  machineMs: number;
  atMs: number;
}

function readCpu(pids: ReadonlyMap<Role, number>): CpuReading {
  const runner = process.cpuUsage();
  return {
    roles: new Map([...pids].map(([role, pid]) => [role, cpuMs(pid)])),
    runnerMs: (runner.user + runner.system) / 1000,
    machineMs: machineBusyMs(),
    atMs: performance.now(),
  };
}

async function measureCell(client: BenchChild, pids: ReadonlyMap<Role, number>, sampler: RssSampler<Role>, env: RunEnvironment, plan: SetupPlan, cell: CellSpec): Promise<CellResult> {
  const warmupMs = env.warmupSeconds * 1000;
  const measureMs = env.seconds * 1000;
  sampler.reset();
  client.send({ type: "load", inFlight: cell.inFlight, payloadBytes: cell.payloadBytes, warmupMs, measureMs });
  await client.next("measuring", warmupMs + cellGraceMs);
  const before = readCpu(pids);
  const { result } = await client.next("measured", measureMs + cellGraceMs);
  const after = readCpu(pids);
  sampler.sample();
  return cellResult(plan, cell, result, pids, before, after, sampler);
}

function cellResult(plan: SetupPlan, cell: CellSpec, result: LoadResult, pids: ReadonlyMap<Role, number>, before: CpuReading, after: CpuReading, sampler: RssSampler<Role>): CellResult {
  const processes: CellResult["processes"] = {};
  let totalCpuMs = 0;
  for (const role of pids.keys()) {
    const cpu = after.roles.get(role)! - before.roles.get(role)!;
    totalCpuMs += cpu;
    processes[role] = { cpuMs: Math.round(cpu), peakRssMiB: Math.round(sampler.peak(role) * 10) / 10 };
  }
  const failed = result.calls === 0;
  return {
    system: plan.system,
    ...cell,
    partitions: plan.partitions,
    status: failed ? "failed" : "ok",
    ...(result.firstError === undefined ? {} : { reason: result.firstError }),
    calls: result.calls,
    errors: result.errors,
    seconds: Math.round(result.seconds * 1000) / 1000,
    callsPerSecond: Math.round(result.calls / result.seconds),
    latencyUs: result.latencyUs,
    cpuUsPerCall: result.calls === 0 ? NaN : Math.round(((totalCpuMs * 1000) / result.calls) * 10) / 10,
    processes,
    otherCpuPercent: otherCpuPercent(before, after, totalCpuMs),
  };
}

function otherCpuPercent(before: CpuReading, after: CpuReading, cellCpuMs: number): number {
  const otherMs = after.machineMs - before.machineMs - cellCpuMs - (after.runnerMs - before.runnerMs);
  const capacityMs = (after.atMs - before.atMs) * availableParallelism();
  return Math.max(0, Math.round((otherMs / capacityMs) * 100));
}

export async function runSetup(plan: SetupPlan, env: RunEnvironment): Promise<CellResult[]> {
  const info = systemInfo(plan.system);
  const unavailable = env.unavailable(plan.system);
  if (unavailable !== undefined) {
    return plan.cells.map((cell) => {
      env.progress.finish(cellLabel(plan.system, cell, plan.partitions), `skipped (${unavailable})`);
      return emptyCell(plan.system, cell, plan.partitions, "skipped", unavailable);
    });
  }
  const results: CellResult[] = [];
  const pids = new Map<Role, number>();
  const stops: (() => Promise<void>)[] = [];
  let sampler: RssSampler<Role> | undefined;
  try {
    const config: SetupConfig = { system: plan.system, runId: env.nextRunId(), ...(plan.partitions === null ? {} : { partitions: plan.partitions }) };
    if (info.broker === BrokerKind.Ferry) {
      const broker = await FerryBrokerProcess.start({ durable: plan.system === SystemId.FerryTcpDurable });
      stops.push(() => broker.stop());
      config.ferryUrl = broker.url;
      pids.set("broker", broker.pid);
    } else if (info.broker === BrokerKind.Nats) {
      const nats = await env.nats();
      config.natsUrl = nats.url;
      pids.set("broker", nats.pid);
    } else if (info.broker === BrokerKind.RabbitMq) {
      config.amqpUrl = env.amqpUrl;
      if (env.rabbitmqPid !== undefined) pids.set("broker", env.rabbitmqPid);
    }
    if (info.separateServer) {
      const server = await BenchChild.start("server", config);
      stops.push(() => server.child.stop());
      config.server = server.info;
      pids.set("server", server.child.pid);
    }
    const client = await BenchChild.start("client", config);
    stops.push(() => client.child.stop());
    env.remember(client.info);
    pids.set("client", client.child.pid);
    sampler = new RssSampler(pids);
    for (const cell of plan.cells) {
      const label = cellLabel(plan.system, cell, plan.partitions);
      env.progress.start(label);
      const result = await measureCell(client.child, pids, sampler, env, plan, cell);
      results.push(result);
      const errors = result.errors === 0 ? "" : `, ${result.errors} errors (${result.reason})`;
      env.progress.finish(label, `${formatCount(result.callsPerSecond)} calls/s, p50 ${formatLatency(result.latencyUs.p50)}, p99 ${formatLatency(result.latencyUs.p99)}${errors}`);
    }
  } catch (error) {
    const reason = ((error as Error).message.split("\n")[0] ?? "").slice(0, 300);
    for (const cell of plan.cells.slice(results.length)) {
      env.progress.finish(cellLabel(plan.system, cell, plan.partitions), `failed (${reason})`);
      results.push(emptyCell(plan.system, cell, plan.partitions, "failed", reason));
    }
  } finally {
    sampler?.stop();
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
  return results;
}
