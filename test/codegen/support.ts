import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generate, type GenerateResult } from "../../packages/codegen/src/index.js";

/** The repository root: tests run from `dist/test/codegen`, fixtures live in the sources. */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const fixturesDir = join(repoRoot, "test/codegen/fixtures");
/** From `test/codegen/fixtures/<name>/expected` to the repository's `index.js`. */
export const fixtureRuntimeImport = "../../../../../packages/ferry/src/index.js";
/** The `ferry` binary of the built runtime package, as an application runs it. */
export const cliPath = join(repoRoot, "packages/ferry/dist/cli/main.js");

/** Golden fixtures: one directory per feature, with `input/` and `expected/`. */
export function fixtureNames(): string[] {
  return readdirSync(fixturesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

export function generateFixture(name: string): GenerateResult {
  return generate({
    files: [`test/codegen/fixtures/${name}/input/*.ts`],
    outDir: `test/codegen/fixtures/${name}/expected`,
    runtimeImport: fixtureRuntimeImport,
    cwd: repoRoot,
  });
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `ferry-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
