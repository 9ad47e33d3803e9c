import { spawn } from "node:child_process";
import { ferryCli } from "./ferry-cli.js";
import { ShopProcess } from "./shop-process.js";

export interface BrokerProcess {
  readonly process: ShopProcess;
  /** `ferry://127.0.0.1:<port>`, as the broker printed it. */
  readonly url: string;
}

/**
 * Runs `ferry broker --port 0` (a free loopback port, memory only) and waits for the line that
 * names its address. The broker's own log (one line per connection) is kept out of the demo's
 * output, except when it fails to start.
 */
export async function startBrokerProcess(): Promise<BrokerProcess> {
  const child = spawn(process.execPath, [ferryCli, "broker", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  let listening!: (url: string) => void;
  let failed!: (error: Error) => void;
  const url = new Promise<string>((resolve, reject) => ((listening = resolve), (failed = reject)));
  const broker = new ShopProcess("broker", child, (line, stream) => {
    const address = stream === "stdout" ? /listening on (ferry:\/\/\S+)/.exec(line)?.[1] : undefined;
    if (address !== undefined) listening(address);
    else log = `${log}${line}\n`.slice(-2_000);
  });
  // Once the url is known, a later exit settles nothing.
  void broker.exited.then((exit) => failed(new Error(`ferry broker exited (code ${exit.code}) before listening: ${log.trim()}`)));
  return { process: broker, url: await url };
}
