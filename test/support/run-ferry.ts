import { spawn } from "node:child_process";
import { cliPath, repoRoot } from "../codegen/support.js";

/** What a `ferry` process did. */
export interface FerryRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `ferry` binary as a user would, with none of the caller's FERRY_* variables.
 * Never synchronously: servers and brokers the test runs in its own process must go on answering.
 */
export function runFerry(args: readonly string[]): Promise<FerryRun> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("FERRY_")));
  const child = spawn(process.execPath, [cliPath, ...args], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}
