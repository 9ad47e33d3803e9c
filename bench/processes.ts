// The process layout: every server, broker and client in a process of its own, started and
// stopped by the runner, which only watches them (/proc) and passes commands over IPC.
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FromChild, ToChild } from "./ipc.js";
import type { SetupConfig } from "./systems/system.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const stopGraceMs = 5_000;
let profiles = 0;

/** Keeps the tail of a child's output, to explain a failure without printing its chatter. */
function keepTail(child: ChildProcess): () => string {
  let tail = "";
  const keep = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-2_000));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return () => tail.trim();
}

async function stopProcess(child: ChildProcess, ask: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  ask();
  const timer = setTimeout(() => child.kill("SIGKILL"), stopGraceMs);
  await exited;
  clearTimeout(timer);
}

/** A bench child (dist/bench/child.js): its messages are read in order, one `next()` at a time. */
export class BenchChild {
  private readonly inbox: FromChild[] = [];
  private waiter: (() => void) | undefined;
  private exitReason: string | undefined;
  private readonly watchers: ((message: FromChild) => void)[] = [];
  readonly output: () => string;

  private constructor(private readonly child: ChildProcess) {
    this.output = keepTail(child);
    child.on("message", (message: FromChild) => {
      for (const watcher of this.watchers) watcher(message);
      this.inbox.push(message);
      this.waiter?.();
    });
    child.once("exit", (code, signal) => {
      this.exitReason = `exited (${signal ?? code})`;
      this.waiter?.();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Forks a child in `role` and waits until it is ready; returns it with what it reported. */
  static async start(role: "server" | "client" | "backlog", config: SetupConfig, timeoutMs = 60_000): Promise<{ child: BenchChild; info: Record<string, unknown> }> {
    const child = new BenchChild(fork(join(here, "child.js"), [role, JSON.stringify(config)], { stdio: ["ignore", "pipe", "pipe", "ipc"], execArgv: profiling(role) }));
    try {
      const ready = await child.next("ready", timeoutMs);
      return { child, info: ready.info };
    } catch (error) {
      await child.stop();
      throw error;
    }
  }

  send(message: ToChild): void {
    this.child.send(message);
  }

  /** The next message, which must be of `type`: a `failed` one, an exit or the timeout reject. */
  async next<T extends FromChild["type"]>(type: T, timeoutMs: number): Promise<Extract<FromChild, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = this.inbox.shift();
      if (message?.type === type) return message as Extract<FromChild, { type: T }>;
      if (message?.type === "failed") throw new Error(message.message);
      if (message !== undefined) continue; // progress the caller did not wait for
      if (this.exitReason !== undefined) throw new Error(`${this.exitReason}: ${this.output()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Sees every message as it arrives, whether or not `next()` reads it. */
  watch(watcher: (message: FromChild) => void): void {
    this.watchers.push(watcher);
  }

  stop(): Promise<void> {
    return stopProcess(this.child, () => {
      if (this.child.connected) this.child.send({ type: "stop" } satisfies ToChild);
      else this.child.kill("SIGTERM");
    });
  }
}

/** `ferry broker` (the CLI, as users run it) on a free port. */
export class FerryBrokerProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly dataDir: string | undefined,
  ) {}

  get pid(): number {
    return this.child.pid!;
  }

  static async start(options: { durable: boolean }): Promise<FerryBrokerProcess> {
    const dataDir = options.durable ? mkdtempSync(join(tmpdir(), "ferry-bench-")) : undefined;
    const args = ["broker", "--port", "0", ...(dataDir === undefined ? [] : ["--data", dataDir, "--fsync", "always"])];
    const child = fork(join(here, "../packages/ferry/src/cli/main.js"), args, { stdio: ["ignore", "pipe", "pipe", "ipc"], execArgv: profiling("broker") });
    const output = keepTail(child);
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on("data", (chunk: Buffer) => {
        const match = /listening on (ferry:\/\/\S+)/.exec(chunk.toString());
        if (match !== null) resolve(match[1]!);
      });
      child.once("exit", (code) => reject(new Error(`ferry broker exited with ${code}: ${output()}`)));
    });
    return new FerryBrokerProcess(child, url, dataDir);
  }

  async stop(): Promise<void> {
    await stopProcess(this.child, () => this.child.kill("SIGTERM"));
    if (this.dataDir !== undefined) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * With FERRY_BENCH_CPU_PROF=<dir>, every Ferry process the bench starts writes a V8 CPU profile
 * there when it exits, named after its role (for finding where a cell's time goes).
 */
function profiling(role: string): string[] {
  const dir = process.env.FERRY_BENCH_CPU_PROF;
  if (dir === undefined || dir === "") return process.execArgv;
  return [...process.execArgv, "--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${role}-${Date.now()}-${++profiles}.cpuprofile`];
}
