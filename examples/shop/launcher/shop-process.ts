import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

/** How a process the launcher started ended. */
export interface ProcessExit {
  name: string;
  pid: number | undefined;
  code: number | null;
  signal: string | null;
  /** True when it did not stop when asked, and was killed. */
  killed: boolean;
}

/**
 * A process the launcher started (the broker or a service): its output is shown line by line,
 * and it is stopped by asking first, killing only if it does not go within a grace period.
 */
export class ShopProcess {
  readonly exited: Promise<ProcessExit>;
  private killed = false;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    onLine: (line: string, stream: "stdout" | "stderr") => void,
  ) {
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => resolve({ name, pid: child.pid, code, signal, killed: this.killed }));
    });
    if (child.stdout) createInterface({ input: child.stdout }).on("line", (line) => onLine(line, "stdout"));
    if (child.stderr) createInterface({ input: child.stderr }).on("line", (line) => onLine(line, "stderr"));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Asks it to stop with `ask`; kills it after `graceMs` if it is still running. */
  async stop(ask: (child: ChildProcess) => void, graceMs = 15_000): Promise<ProcessExit> {
    if (this.running) {
      ask(this.child);
      const timer = setTimeout(() => {
        this.killed = true;
        this.child.kill("SIGKILL");
      }, graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
  }
}
