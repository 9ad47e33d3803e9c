import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A TCP broker running in a child process, as `ferry broker` would. */
export interface BrokerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
  /** `kill -9`: the broker gets no chance to flush, sync or close anything. */
  kill(): Promise<void>;
}

const script = fileURLToPath(new URL("./broker-child.js", import.meta.url));

/** Forks a broker process with `options` (JSON-serialisable `startBroker` options) and waits until it listens. */
export async function startBrokerProcess(options: Record<string, unknown> = {}): Promise<BrokerProcess> {
  const child = fork(script, [JSON.stringify({ port: 0, ...options })], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("message", (message) => resolve((message as { url: string }).url));
    child.once("exit", (code) => reject(new Error(`the broker process exited with code ${code} before listening`)));
  });
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
  };
  return { url, child, stop: () => end("SIGTERM"), kill: () => end("SIGKILL") };
}
