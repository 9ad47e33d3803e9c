import { expect } from "chai";
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
export function runFerry(args: readonly string[], cwd = repoRoot): Promise<FerryRun> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("FERRY_")));
  const child = spawn(process.execPath, [cliPath, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** An expected failure: exit 1, one line on stderr naming the command, no stack trace. Returns the line. */
export function expectOneLineFailure(run: FerryRun, command: string): string {
  expect(run.status, run.stderr).to.equal(1);
  const lines = run.stderr.trimEnd().split("\n");
  expect(lines, run.stderr).to.have.length(1);
  expect(lines[0]).to.match(new RegExp(`^ferry ${command}: `));
  expect(run.stderr).not.to.match(/\n\s+at /);
  return lines[0]!;
}
