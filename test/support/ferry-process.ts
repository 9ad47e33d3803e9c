import { spawn, type ChildProcess } from "node:child_process";
import { cliPath, repoRoot } from "../codegen/support.js";

export interface FerryRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts the built `ferry` binary as a user would (no FERRY_* variables of the caller's) and hands
 * back the child, so a test can kill it mid-run, with a promise of how it ended.
 */
export function startFerry(args: readonly string[]): { child: ChildProcess; ended: Promise<FerryRun> } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("FERRY_")));
  const child = spawn(process.execPath, [cliPath, ...args], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const ended = new Promise<FerryRun>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
  return { child, ended };
}
