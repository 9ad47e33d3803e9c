import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface ExampleRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a built example (a path under `dist/`, e.g. `examples/shop/main.js`) as `node` would, to its exit. */
export function runExample(script: string, args: readonly string[] = [], giveUpMs = 80_000): Promise<ExampleRun> {
  const path = fileURLToPath(new URL(`../../${script}`, import.meta.url));
  const child = spawn(process.execPath, [path, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  // A guard against a hang, so no process outlives the test; SIGTERM lets the shop stop its children.
  const guard = setTimeout(() => child.kill("SIGTERM"), giveUpMs);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}
