// A child process of the benchmark: `server` runs one system's server side, `client` its client
// side and loads it on the runner's command, `backlog` is the backlog measurement's client.
//
//   node dist/bench/child.js server|client|backlog '<SetupConfig as JSON>'
import { runBacklogClient } from "./backlog-client.js";
import type { FromChild, ToChild } from "./ipc.js";
import { runLoad } from "./load.js";
import { noteFor } from "./payload.js";
import { sidesOf } from "./systems/index.js";
import type { SetupConfig } from "./systems/system.js";

const [role, json] = process.argv.slice(2);
const config = JSON.parse(json ?? "{}") as SetupConfig;
const send = (message: FromChild) => process.send?.(message);
/** Tells the runner why, then exits once the message is out. */
const fail = (error: Error) => process.send?.({ type: "failed", message: error.stack ?? error.message } satisfies FromChild, () => process.exit(1));
const onCommand = (handler: (message: ToChild) => Promise<void>) => process.on("message", (message: ToChild) => void handler(message).catch(fail));
// Orphaned (the runner died): leave at once.
process.on("disconnect", () => process.exit(0));

async function main(): Promise<void> {
  const sides = await sidesOf(config.system);
  if (role === "server") {
    const server = await sides.serve(config);
    onCommand(async (message) => {
      if (message.type !== "stop") return;
      await server.close();
      process.exit(0);
    });
    send({ type: "ready", info: server.info });
  } else if (role === "client") {
    const client = await sides.connect(config);
    onCommand(async (message) => {
      if (message.type === "load") {
        const note = noteFor(message.payloadBytes);
        await runLoad(client.call, { inFlight: message.inFlight, note, durationMs: message.warmupMs });
        send({ type: "measuring" });
        send({ type: "measured", result: await runLoad(client.call, { inFlight: message.inFlight, note, durationMs: message.measureMs }) });
      } else if (message.type === "stop") {
        await client.close();
        process.exit(0);
      }
    });
    send({ type: "ready", info: client.info });
  } else if (role === "backlog") {
    onCommand(async (message) => {
      if (message.type === "backlog") await runBacklogClient(config.ferryUrl!, message.messages, message.payloadBytes, send);
      else if (message.type === "stop") process.exit(0);
    });
    send({ type: "ready", info: {} });
  } else {
    throw new Error(`unknown role ${role}`);
  }
}

main().catch(fail);
