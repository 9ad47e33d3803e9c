// The shape of bench/results/<date>.json, and the figures derived from it.
import { SystemId } from "./catalog.js";
import type { LatencySummary } from "./histogram.js";
import type { OverheadResult } from "./overhead/overhead-types.js";

/** One process's share of a cell: CPU over the measured window, memory peak over the whole cell. */
export interface ProcessFigures {
  cpuMs: number;
  /** Highest resident set seen while the cell ran (sampled every 100 ms), MiB. */
  peakRssMiB: number;
}

export type Role = "client" | "server" | "broker";

export interface CellResult {
  system: SystemId;
  inFlight: number;
  payloadBytes: number;
  /** Partitions of the service's topic when set by the run; null: the transport's default. */
  partitions: number | null;
  status: "ok" | "skipped" | "failed";
  /** Why it was skipped or failed. */
  reason?: string;
  calls: number;
  errors: number;
  seconds: number;
  callsPerSecond: number;
  latencyUs: LatencySummary;
  /** CPU of every process in the path (client, server, broker) per call, µs. */
  cpuUsPerCall: number;
  processes: Partial<Record<Role, ProcessFigures>>;
  /**
   * CPU the rest of the machine used during the measured window (other tenants, builds), % of
   * all cores: how noisy the cell's conditions were.
   */
  otherCpuPercent: number;
}

export interface BacklogSample {
  ms: number;
  phase: "publish" | "full" | "drain" | "drained";
  depth: number;
  brokerRssMiB: number;
}

export interface BacklogResult {
  status: "ok" | "skipped" | "failed";
  reason?: string;
  messages: number;
  payloadBytes: number;
  publishSeconds: number;
  drainSeconds: number;
  brokerRssMiB: { idle: number; full: number; peak: number; drained: number };
  /** (full − idle) / messages: what one queued request costs the broker, bytes. */
  bytesPerMessage: number;
  clientPeakRssMiB: number;
  serverPeakRssMiB: number;
  samples: BacklogSample[];
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  natsServer: string | null;
  rabbitmq: string | null;
  packages: Record<string, string | null>;
}

export interface BenchOptionsRecord {
  quick: boolean;
  seconds: number;
  warmupSeconds: number;
}

export interface BenchResults {
  version: 1;
  started: string;
  finished: string;
  durationSeconds: number;
  machine: MachineInfo;
  options: BenchOptionsRecord;
  cells: CellResult[];
  backlog: BacklogResult | null;
  /** The observability overhead (absent from runs made before it existed). */
  overhead?: OverheadResult | null;
}

/** Raw TCP's cell for the same in-flight count and payload, in the same run: the reference. */
export function baselineOf(cells: readonly CellResult[], cell: CellResult): CellResult | undefined {
  return cells.find((other) => other.system === SystemId.RawTcp && other.status === "ok" && other.inFlight === cell.inFlight && other.payloadBytes === cell.payloadBytes);
}

/** Throughput as a fraction of raw TCP's in the same run, same in-flight count and payload; undefined without a baseline. */
export function ratioToRawTcp(cells: readonly CellResult[], cell: CellResult): number | undefined {
  const baseline = baselineOf(cells, cell);
  if (baseline === undefined || cell.status !== "ok" || baseline.callsPerSecond <= 0) return undefined;
  return cell.callsPerSecond / baseline.callsPerSecond;
}

/** The cell of the main comparison (the transport's default partitions). */
export function findCell(cells: readonly CellResult[], system: SystemId, inFlight: number, payloadBytes: number, partitions: number | null = null): CellResult | undefined {
  return cells.find((cell) => cell.system === system && cell.inFlight === inFlight && cell.payloadBytes === payloadBytes && cell.partitions === partitions);
}
