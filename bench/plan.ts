// What a run measures, from its options: the setups (one system's processes, started once) and
// the cells each one measures (an in-flight count and a payload size).
import { SystemId, systems } from "./catalog.js";
import { defaultPayloadBytes } from "./payload.js";

export const Part = { Main: "main", InFlight: "in-flight", Partitions: "partitions", Backlog: "backlog", Overhead: "overhead" } as const;
export type Part = (typeof Part)[keyof typeof Part];

export interface BenchOptions {
  quick: boolean;
  systems: SystemId[];
  parts: Part[];
  /** Main comparison: in-flight counts and payload sizes. */
  inFlight: number[];
  payloads: number[];
  seconds: number;
  warmupSeconds: number;
  /** Cost growth: in-flight counts (100 B) on `sweepSystems`. */
  sweep: number[];
  sweepSystems: SystemId[];
  /** Cost growth: partitions of the Ferry TCP broker's topic. */
  partitions: number[];
  partitionsInFlight: number[];
  /** Requests queued behind a stopped server. */
  backlogMessages: number;
  /** Observability overhead: interleaved rounds, and each variant's measured seconds per round. */
  overheadRounds: number;
  overheadSeconds: number;
  outDir: string | undefined;
  readme: boolean;
  /** Re-render the report of this results file instead of measuring. */
  render: string | undefined;
}

export interface CellSpec {
  inFlight: number;
  payloadBytes: number;
}

export interface SetupPlan {
  system: SystemId;
  /** Set for the partitions sweep; null: the transport's default. */
  partitions: number | null;
  cells: CellSpec[];
}

export const fullDefaults: BenchOptions = {
  quick: false,
  systems: systems.map((system) => system.id),
  parts: Object.values(Part),
  inFlight: [1, 64],
  payloads: [...defaultPayloadBytes],
  seconds: 5,
  warmupSeconds: 1,
  sweep: [1, 8, 64, 512],
  sweepSystems: [SystemId.RawTcp, SystemId.FerryInProcess, SystemId.FerryTcp, SystemId.FerryNats, SystemId.NatsInbox],
  partitions: [1, 8, 64],
  partitionsInFlight: [1, 64],
  backlogMessages: 1_000_000,
  overheadRounds: 7,
  overheadSeconds: 2,
  outDir: undefined,
  readme: false,
  render: undefined,
};

/** A smoke run of everything in about two minutes: short cells, a smaller sweep and backlog. */
export const quickDefaults: BenchOptions = {
  ...fullDefaults,
  quick: true,
  seconds: 1,
  warmupSeconds: 0.25,
  sweepSystems: [SystemId.RawTcp, SystemId.FerryTcp],
  partitionsInFlight: [64],
  backlogMessages: 100_000,
  overheadRounds: 3,
  overheadSeconds: 0.5,
};

const sweepPayloadBytes = 100;
/** The system whose broker the partitions sweep and the backlog measure. */
const growthSystem = SystemId.FerryTcp;

const sameCell = (a: CellSpec, b: CellSpec) => a.inFlight === b.inFlight && a.payloadBytes === b.payloadBytes;

export function planSetups(options: BenchOptions): SetupPlan[] {
  const plans: SetupPlan[] = [];
  for (const { id } of systems) {
    if (!options.systems.includes(id)) continue;
    const cells: CellSpec[] = [];
    const add = (cell: CellSpec) => cells.some((other) => sameCell(other, cell)) || cells.push(cell);
    if (options.parts.includes(Part.Main)) {
      for (const payloadBytes of options.payloads) for (const inFlight of options.inFlight) add({ inFlight, payloadBytes });
    }
    if (options.parts.includes(Part.InFlight) && options.sweepSystems.includes(id)) {
      for (const inFlight of options.sweep) add({ inFlight, payloadBytes: sweepPayloadBytes });
    }
    if (cells.length > 0) plans.push({ system: id, partitions: null, cells });
  }
  if (options.parts.includes(Part.Partitions) && options.systems.includes(growthSystem)) {
    for (const partitions of options.partitions) {
      plans.push({ system: growthSystem, partitions, cells: options.partitionsInFlight.map((inFlight) => ({ inFlight, payloadBytes: sweepPayloadBytes })) });
    }
  }
  return plans;
}

export function runsBacklog(options: BenchOptions): boolean {
  return options.parts.includes(Part.Backlog) && options.systems.includes(growthSystem) && options.backlogMessages > 0;
}

/** Seconds a run should take, for the progress line: cells, process start-ups and the backlog. */
export function estimateSeconds(options: BenchOptions): number {
  const setupSeconds = 2;
  const cellSeconds = options.seconds + options.warmupSeconds + 0.3;
  const setups = planSetups(options);
  const cells = setups.reduce((sum, setup) => sum + setup.cells.length, 0);
  // The backlog builds and drains at a few tens of thousands of calls per second.
  const backlogSeconds = runsBacklog(options) ? 5 + options.backlogMessages / 15_000 : 0;
  // Eight variants per round (bench/overhead/variants.ts), plus a warm-up of each.
  const overheadSeconds = options.parts.includes(Part.Overhead) ? 8 * (options.overheadRounds + 1) * options.overheadSeconds + 3 : 0;
  return setups.length * setupSeconds + cells * cellSeconds + backlogSeconds + overheadSeconds;
}
