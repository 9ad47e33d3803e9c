// `npm start`: the shop demo. Starts a broker and the orders, inventory and payments services in
// their own processes, drives the scenario, prints what happens, shuts everything down, and exits
// 0 only if every check passed.
//
//   node dist/examples/shop/main.js [--nats <url> [--nats-mode durable|core] | --amqp <url>] [--burst <n>] [--json]
import { parseArgs } from "node:util";
import { runShop } from "./run-shop.js";
import type { ShopTransport } from "./launcher/transport-choice.js";

const usage = "usage: node dist/examples/shop/main.js [--nats <url> [--nats-mode durable|core] | --amqp <url>] [--burst <orders>] [--json]";

function transportOf(url: string | undefined, mode: string | undefined, amqp: string | undefined): ShopTransport {
  if (amqp !== undefined) {
    if (url !== undefined || mode !== undefined) throw new Error("--amqp cannot go with --nats or --nats-mode");
    return { kind: "amqp", url: amqp };
  }
  if (url === undefined) {
    if (mode !== undefined) throw new Error("--nats-mode needs --nats <url>");
    return { kind: "tcp" };
  }
  if (mode !== undefined && mode !== "durable" && mode !== "core") throw new Error(`--nats-mode must be durable or core, got ${mode}`);
  return { kind: "nats", url, mode: mode ?? "durable" };
}

let transport: ShopTransport;
let burst: number;
let json: boolean;
try {
  const { values } = parseArgs({
    options: { nats: { type: "string" }, "nats-mode": { type: "string" }, amqp: { type: "string" }, burst: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } },
  });
  if (values.help === true) {
    console.log(usage);
    process.exit(0);
  }
  transport = transportOf(values.nats, values["nats-mode"], values.amqp);
  burst = Number(values.burst ?? 3_000);
  if (!Number.isInteger(burst) || burst < 1) throw new Error(`--burst must be a positive integer, got ${values.burst}`);
  json = values.json === true;
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}

// Interrupted, exit at once: runShop's exit hook stops the processes it started.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

const report = await runShop({ transport, burst });
console.log(report.ok ? "Every check passed:" : "Some checks failed:");
for (const check of report.checks) console.log(`  ${check.ok ? "ok    " : "FAILED"}  ${check.what}`);
// The last line, for scripts and tests: the whole report.
if (json) console.log(JSON.stringify(report));
process.exitCode = report.ok ? 0 : 1;
