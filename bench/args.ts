// `npm run bench -- [options]`: the command line, parsed into BenchOptions.
import { isSystemId, systems, type SystemId } from "./catalog.js";
import { fullDefaults, Part, quickDefaults, type BenchOptions } from "./plan.js";

export const usage = `usage: npm run bench -- [options]      (or: node dist/bench/cli.js [options])
  --quick                  smoke run: 1 s cells, a smaller sweep and a 100,000-request backlog (about 2 min)
  --systems a,b,...        only these systems (default: all): ${systems.map((s) => s.id).join(", ")}
  --parts a,b,...          only these parts (default: all): ${Object.values(Part).join(", ")}
  --in-flight 1,64         in-flight counts of the main comparison
  --payloads 100,16384     request sizes of the main comparison, bytes
  --seconds N              measured seconds per cell (default 5; --quick 1)
  --warmup N               warm-up seconds per cell, not measured (default 1; --quick 0.25)
  --sweep 1,8,64,512       in-flight counts of the cost-growth sweep (100 B)
  --sweep-systems a,b      systems of that sweep (default: raw-tcp, ferry-in-process, ferry-tcp, ferry-nats, nats-inbox)
  --partitions 1,8,64      topic partitions of the Ferry TCP broker sweep
  --backlog N              requests queued behind a stopped server (default 1,000,000; 0 skips)
  --overhead-rounds N      interleaved rounds of the observability overhead (default 7; --quick 3)
  --overhead-seconds N     seconds each overhead variant runs per round (default 2; --quick 0.5)
  --out DIR                where <date>.json and <date>.svg go (default bench/results; --quick: a temp dir)
  --readme                 also rewrite the README's benchmark section (between its bench markers)
  --render FILE            measure nothing: print (and with --readme, write) the report of a results file
environment:
  FERRY_BENCH_CPU_PROF=DIR every Ferry process the run starts (client, server, broker) writes a V8 CPU profile to DIR`;

export class UsageError extends Error {
  override name = "UsageError";
}

function numbers(flag: string, value: string | undefined): number[] {
  const list = (value ?? "").split(",").map(Number);
  if (list.length === 0 || list.some((n) => !Number.isFinite(n) || n <= 0)) throw new UsageError(`${flag} takes positive numbers separated by commas, got ${value}`);
  return list;
}

function systemList(flag: string, value: string | undefined): SystemId[] {
  const list = (value ?? "").split(",");
  const unknown = list.filter((id) => !isSystemId(id));
  if (unknown.length > 0) throw new UsageError(`${flag}: unknown system ${unknown.join(", ")}`);
  return list as SystemId[];
}

export function parseArgs(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = { ...(argv.includes("--quick") ? quickDefaults : fullDefaults) };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    const positive = () => numbers(flag, value())[0]!;
    switch (flag) {
      case "--quick":
        break;
      case "--systems":
        options.systems = systemList(flag, value());
        break;
      case "--parts": {
        const parts = value().split(",");
        const unknown = parts.filter((part) => !(Object.values(Part) as string[]).includes(part));
        if (unknown.length > 0) throw new UsageError(`--parts: unknown part ${unknown.join(", ")}`);
        options.parts = parts as Part[];
        break;
      }
      case "--in-flight":
        options.inFlight = numbers(flag, value());
        break;
      case "--payloads":
        options.payloads = numbers(flag, value());
        break;
      case "--seconds":
        options.seconds = positive();
        break;
      case "--warmup":
        options.warmupSeconds = Number(value());
        if (!(options.warmupSeconds >= 0)) throw new UsageError("--warmup takes a number of seconds, 0 or more");
        break;
      case "--sweep":
        options.sweep = numbers(flag, value());
        break;
      case "--sweep-systems":
        options.sweepSystems = systemList(flag, value());
        break;
      case "--partitions":
        options.partitions = numbers(flag, value());
        break;
      case "--backlog":
        options.backlogMessages = Number(value());
        if (!Number.isInteger(options.backlogMessages) || options.backlogMessages < 0) throw new UsageError("--backlog takes a whole number of requests");
        break;
      case "--overhead-rounds":
        options.overheadRounds = positive();
        if (!Number.isInteger(options.overheadRounds)) throw new UsageError("--overhead-rounds takes a whole number");
        break;
      case "--overhead-seconds":
        options.overheadSeconds = positive();
        break;
      case "--out":
        options.outDir = value();
        break;
      case "--readme":
        options.readme = true;
        break;
      case "--render":
        options.render = value();
        break;
      default:
        throw new UsageError(`unknown argument ${flag}`);
    }
  }
  if (options.payloads.some((bytes) => bytes < 40 || !Number.isInteger(bytes))) throw new UsageError("--payloads: a request holds at least 40 bytes");
  return options;
}
