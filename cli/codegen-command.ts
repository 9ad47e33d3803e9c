import { relative, resolve } from "node:path";
import { usageLines } from "./usage.js";
import { applyPlan, planOutput } from "../codegen/write.js";
import { formatDiagnostic } from "../codegen/diagnostic.js";
import { generate, type GenerateOptions, type GenerateResult } from "../codegen/session.js";
import { watchCodegen } from "../codegen/watch.js";

/** Exit codes of `ferry codegen`. */
export const CodegenExit = {
  Ok: 0,
  /** `--check` found missing, stale or extra files. */
  Stale: 1,
  /** Bad arguments or inputs codegen cannot handle. */
  Invalid: 2,
} as const;
export type CodegenExit = (typeof CodegenExit)[keyof typeof CodegenExit];

const usage = `usage: ${usageLines.codegen}`;

interface CodegenArgs {
  patterns: string[];
  outDir: string;
  check: boolean;
  watch: boolean;
  runtimeImport: string | undefined;
}

/** `ferry codegen`: a thin wrapper over `generate`, `planOutput` and `watchCodegen`. */
export async function codegenCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    process.stderr.write(`ferry codegen: ${args}\n${usage}\n`);
    return CodegenExit.Invalid;
  }
  const options: GenerateOptions = { files: args.patterns, outDir: args.outDir, ...(args.runtimeImport === undefined ? {} : { runtimeImport: args.runtimeImport }) };
  if (args.watch) return watch(options);
  const result = generate(options);
  if (result.diagnostics.length > 0) return reportDiagnostics(result);
  const outDir = outDirOf(options);
  const plan = planOutput(outDir, result.files);
  if (args.check) {
    const problems = [
      ...plan.missing.map((path) => `missing: ${display(path)}`),
      ...plan.stale.map((path) => `stale:   ${display(path)}`),
      ...plan.extra.map((path) => `extra:   ${display(path)}`),
    ];
    if (problems.length === 0) {
      process.stdout.write(`ferry codegen: ${result.files.length} files up to date\n`);
      return CodegenExit.Ok;
    }
    process.stderr.write(`${problems.join("\n")}\n\nGenerated code is out of date. Fix it with:\n  ${fixCommand(argv)}\n`);
    return CodegenExit.Stale;
  }
  applyPlan(outDir, plan);
  process.stdout.write(`ferry codegen: ${result.services.length} services, ${plan.writes.length} files written, ${plan.extra.length} removed, ${result.files.length - plan.writes.length} unchanged\n`);
  return CodegenExit.Ok;
}

function watch(options: GenerateOptions): Promise<number> {
  return new Promise((resolveExit) => {
    const outDir = outDirOf(options);
    const handle = watchCodegen(options, (result, changed, durationMs) => {
      if (result.diagnostics.length > 0) {
        reportDiagnostics(result);
        return;
      }
      const plan = planOutput(outDir, result.files);
      applyPlan(outDir, plan);
      const cause = changed.length === 0 ? "initial run" : changed.map(display).join(", ");
      process.stdout.write(`ferry codegen: ${cause}: ${plan.writes.length} written, ${plan.extra.length} removed (generated in ${Math.round(durationMs)} ms)\n`);
    });
    process.once("SIGINT", () => {
      handle.close();
      resolveExit(CodegenExit.Ok);
    });
  });
}

function reportDiagnostics(result: GenerateResult): number {
  process.stderr.write(`${result.diagnostics.map((diagnostic) => formatDiagnostic(diagnostic)).join("\n")}\n`);
  process.stderr.write(`ferry codegen: ${result.diagnostics.length} problem${result.diagnostics.length === 1 ? "" : "s"}, nothing written\n`);
  return CodegenExit.Invalid;
}

function parseArgs(argv: readonly string[]): CodegenArgs | string {
  const args: CodegenArgs = { patterns: [], outDir: "", check: false, watch: false, runtimeImport: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case "--out": {
        const out = value();
        if (out === undefined || out === "") return "--out needs a directory";
        args.outDir = out;
        break;
      }
      case "--runtime-import": {
        const specifier = value();
        if (specifier === undefined || specifier === "") return "--runtime-import needs a module specifier";
        args.runtimeImport = specifier;
        break;
      }
      case "--check":
        args.check = true;
        break;
      case "--watch":
        args.watch = true;
        break;
      default:
        if (arg.startsWith("-")) return `unknown option ${arg}`;
        args.patterns.push(arg);
    }
  }
  if (args.patterns.length === 0) return "no input files given";
  if (args.outDir === "") return "--out <dir> is required";
  if (args.check && args.watch) return "--check and --watch cannot be combined";
  return args;
}

/** The same command without `--check`: what regenerates the files. */
function fixCommand(argv: readonly string[]): string {
  const kept = argv.filter((arg) => arg !== "--check").map((arg) => (/^[\w./=@:-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`));
  return ["ferry", "codegen", ...kept].join(" ");
}

function outDirOf(options: GenerateOptions): string {
  return resolve(process.cwd(), options.outDir);
}

function display(path: string): string {
  return relative(process.cwd(), path) || ".";
}
