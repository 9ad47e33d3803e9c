import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A process serving `Calculator` on a broker, as a deployed service would. */
export interface ServeProcess {
  readonly child: ChildProcess;
  /** SIGTERM: the runtime drains and leaves its groups, then the process exits. */
  stop(): Promise<void>;
}

const script = fileURLToPath(new URL("./serve-child.js", import.meta.url));

/** Forks a process that serves `Calculator` on `url`, and waits until it serves. */
export async function startServeProcess(url: string): Promise<ServeProcess> {
  const child = fork(script, [url], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
  let log = "";
  child.stderr!.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4_000)));
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`the serving process exited with code ${code} before serving: ${log}`)));
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  };
  return { child, stop };
}
