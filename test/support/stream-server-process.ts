import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A Counter stream server in a child process (`stream-server-child.ts`). */
export interface StreamServerProcess {
  readonly child: ChildProcess;
  /** `kill -9`: the server gets no chance to end its streams. */
  kill(): Promise<void>;
}

const script = fileURLToPath(new URL("./stream-server-child.js", import.meta.url));

/** Forks a stream server connected to `url` and waits until it serves. */
export async function startStreamServerProcess(url: string): Promise<StreamServerProcess> {
  const child = fork(script, [url], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  await new Promise<void>((resolve, reject) => {
    child.on("message", (message) => {
      if ((message as { serving?: boolean }).serving === true) resolve();
    });
    child.once("exit", (code) => reject(new Error(`the stream server exited with code ${code} before serving`)));
  });
  return {
    child,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
  };
}
