import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compare, generatedHeader } from "./format.js";
import type { GeneratedFile } from "./session.js";

/** How the output directory differs from what codegen produces. Paths are absolute. */
export interface OutputPlan {
  /** Produced but not on disk. */
  missing: string[];
  /** On disk with different content. */
  stale: string[];
  /** Generated files (they start with the header) that are no longer produced. */
  extra: string[];
  /** The files to write: missing and stale ones. */
  writes: GeneratedFile[];
}

/** Compares `files` with `outDir` without changing anything (what `--check` reports). */
export function planOutput(outDir: string, files: readonly GeneratedFile[]): OutputPlan {
  const plan: OutputPlan = { missing: [], stale: [], extra: [], writes: [] };
  const produced = new Set(files.map((file) => file.path));
  for (const file of files) {
    const current = readOrUndefined(file.path);
    if (current === file.content) continue;
    (current === undefined ? plan.missing : plan.stale).push(file.path);
    plan.writes.push(file);
  }
  let names: string[] = [];
  try {
    names = readdirSync(outDir);
  } catch {
    // No output directory yet: nothing extra in it.
  }
  for (const name of names.sort(compare)) {
    const path = join(outDir, name);
    if (!produced.has(path) && name.endsWith(".ts") && readOrUndefined(path)?.startsWith(generatedHeader) === true) plan.extra.push(path);
  }
  return plan;
}

/** Writes missing and stale files and removes extra generated ones; never touches other files. */
export function applyPlan(outDir: string, plan: OutputPlan): void {
  if (plan.writes.length > 0) mkdirSync(outDir, { recursive: true });
  for (const file of plan.writes) writeFileSync(file.path, file.content);
  for (const path of plan.extra) rmSync(path);
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
