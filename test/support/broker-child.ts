// A broker process for tests: starts a TCP broker with the options in argv[2], reports its URL
// over IPC, and closes cleanly on SIGTERM.
import { startBroker } from "../../packages/ferry/src/broker/server/broker-server.js";

const options = JSON.parse(process.argv[2] ?? "{}") as Parameters<typeof startBroker>[0];
const running = await startBroker({ log: () => undefined, ...options });
process.send?.({ url: running.url });
process.on("SIGTERM", () => {
  void running.close().then(() => process.exit(0));
});
