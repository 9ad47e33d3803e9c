// What every shop service process does around its own code: connect to the broker the launcher
// names, serve, tell the launcher it is ready, and on "stop" drain and close, then exit.
import { connect, type ConnectOptions, type Ferry } from "../../../packages/ferry/src/index.js";

/** Messages between the launcher and a service process, over the fork IPC channel. */
export const ServiceMessage = { Ready: "ready", Stop: "stop", IssuerBack: "issuer-back", Fixed: "fixed" } as const;
export type ServiceMessage = (typeof ServiceMessage)[keyof typeof ServiceMessage];

/** Prints one line of what the service does; the launcher shows it prefixed with the service name. */
export type Log = (line: string) => void;

/**
 * Runs a service in this process: `serve` registers its handlers on a runtime connected with the
 * options the launcher passed in argv[2] (JSON). The process exits by itself once closed: after
 * "stop", or when the launcher goes away.
 */
export async function runService(serve: (ferry: Ferry, log: Log) => Promise<void>): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? "{}") as ConnectOptions;
  const log: Log = (line) => process.stdout.write(`${line}\n`);
  const ferry = await connect(options);
  await serve(ferry, log);
  // close() lets running handlers finish before it disconnects; then nothing holds the process.
  const shutDown = () => void ferry.close().then(() => process.connected && process.disconnect());
  process.on("message", (message) => message === ServiceMessage.Stop && shutDown());
  process.once("disconnect", shutDown);
  process.send?.(ServiceMessage.Ready);
}
