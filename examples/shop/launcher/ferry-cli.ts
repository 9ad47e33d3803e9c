import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The `ferry` command of this package, as built (`dist/packages/ferry/src/cli/main.js`). */
export const ferryCli = fileURLToPath(new URL("../../../packages/ferry/src/cli/main.js", import.meta.url));

/** Runs `ferry <args>` to completion and resolves with its standard output. */
export function runFerryCli(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ferryCli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`ferry ${args.join(" ")} exited with ${code}: ${stderr.trim()}`))));
  });
}
