import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "../codegen/support.js";

const run = promisify(execFile);

/** The packages a user installs, as `npm pack` makes them. */
export const packageDirs = { ferry: "packages/ferry", "ferry-codegen": "packages/codegen" } as const;
export type PackageName = keyof typeof packageDirs;

/** Packs every package (each builds itself on `prepack`) into a temporary directory. */
export async function packAll(): Promise<{ tarballs: Record<PackageName, string>; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "ferry-pack-"));
  const tarballs = {} as Record<PackageName, string>;
  for (const [name, folder] of Object.entries(packageDirs) as [PackageName, string][]) {
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dir], { cwd: join(repoRoot, folder), maxBuffer: 16 * 1024 * 1024 });
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf("["))) as { filename: string }[];
    tarballs[name] = join(dir, packed!.filename);
  }
  return { tarballs, dir };
}

/** The paths inside a tarball, without npm's `package/` prefix. */
export async function tarballFiles(tarball: string): Promise<string[]> {
  const { stdout } = await run("tar", ["-tzf", tarball], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.split("\n").filter((line) => line !== "").map((line) => line.replace(/^package\//, "")).sort();
}

/** A temporary directory outside the repository, removed by `remove`. */
export function appDir(name: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `ferry-app-${name}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs a command in the app; rejects with its output when it fails. */
export async function inApp(dir: string, command: string, args: readonly string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(command, [...args], { cwd: dir, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")} failed in ${dir}: ${failed.message}\n${failed.stdout ?? ""}\n${failed.stderr ?? ""}`);
  }
}

/** Like `inApp`, but resolves with the exit code and output instead of rejecting. */
export function exitOf(dir: string, command: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, [...args], { cwd: dir, encoding: "utf8" }, (error, stdout, stderr) => resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? null), stdout, stderr }));
  });
}

/** `npm install` in the app, from the registry and the given tarballs, with no audit or funding noise. */
export function npmInstall(dir: string): Promise<{ stdout: string; stderr: string }> {
  return inApp(dir, "npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"]);
}

/** `ferry broker --port 0` from the app's installed package; resolves once it listens, with its URL. */
export async function startInstalledBroker(dir: string): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(join(dir, "node_modules/.bin/ferry"), ["broker", "--port", "0"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      const match = /listening on (ferry:\/\/\S+)/.exec(output);
      if (match !== null) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`ferry broker exited with ${code} before listening: ${output}`)));
  });
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * What `dir` weighs: `onDisk` counts allocated blocks, as `du` does (directories included), and
 * `apparent` the files' sizes (`du --apparent-size`). Symbolic links are not followed.
 */
export function directoryBytes(dir: string): { onDisk: number; apparent: number } {
  const own = statSync(dir);
  const total = { onDisk: own.blocks * 512, apparent: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = directoryBytes(path);
      total.onDisk += inner.onDisk;
      total.apparent += inner.apparent;
    } else if (entry.isFile()) {
      const stats = statSync(path);
      total.onDisk += stats.blocks * 512;
      total.apparent += stats.size;
    }
  }
  return total;
}
