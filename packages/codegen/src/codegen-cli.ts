import { relative, resolve } from "node:path";
import { applyPlan, planOutput } from "./write.js";
import { formatDiagnostic } from "./diagnostic.js";
import { generate, type GenerateOptions, type GenerateResult } from "./session.js";
import { watchCodegen } from "./watch.js";

export { generate } from "./session.js";

/** Exit codes of `ferry codegen`. */
export const CodegenExit = {
  Ok: 0,
  /** `--check` found missing, stale or extra files. */
  Stale: 1,
  /** Bad arguments or inputs codegen cannot handle. */
  Invalid: 2,
} as const;
export type CodegenExit = (typeof CodegenExit)[keyof typeof CodegenExit];

/** `ferry codegen`'s arguments, parsed by the `ferry` CLI. */
export interface CodegenCliArgs {
  patterns: readonly string[];
  outDir: string;
  check: boolean;
  watch: boolean;
  runtimeImport: string | undefined;
  /** The command line as typed, to print the command that fixes stale files. */
  argv: readonly string[];
}

/**
 * `ferry codegen`: a thin wrapper over `generate`, `planOutput` and `watchCodegen`. Bad arguments
 * throw `CodegenUsageError`, which the `ferry` CLI prints with the usage (exit 2).
 */
export async function codegenCli(args: CodegenCliArgs): Promise<number> {
  if (args.outDir === "") throw new CodegenUsageError("--out <dir> is required");
  if (args.check && args.watch) throw new CodegenUsageError("--check and --watch cannot be combined");
  const argv = args.argv;
  const options: GenerateOptions = { files: [...args.patterns], outDir: args.outDir, ...(args.runtimeImport === undefined ? {} : { runtimeImport: args.runtimeImport }) };
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

/** The same command without `--check`: what regenerates the files. */
function fixCommand(argv: readonly string[]): string {
  const kept = argv.filter((arg) => arg !== "--check").map((arg) => (/^[\w./=@:-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`));
  return ["ferry", "codegen", ...kept].join(" ");
}

/** Arguments `ferry codegen` cannot run with. */
export class CodegenUsageError extends Error {
  override name = "CodegenUsageError";
}

function outDirOf(options: GenerateOptions): string {
  return resolve(process.cwd(), options.outDir);
}

function display(path: string): string {
  return relative(process.cwd(), path) || ".";
}
