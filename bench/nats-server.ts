// The run's own nats-server: a free port, JetStream in a temporary store. Ferry NATS and every
// NATS peer use this one server in a run, so their ratios compare like with like. It is started
// and stopped as the tests' servers are.
import { spawnSync } from "node:child_process";
import { natsServerBinary } from "../test/support/nats-server.js";

/** The binary's version (`v2.9.10`), or null when it is not installed. */
export function natsServerVersion(): string | null {
  const probe = spawnSync(natsServerBinary, ["--version"], { encoding: "utf8" });
  return probe.status === 0 ? (/v[\d.]+/.exec(probe.stdout)?.[0] ?? probe.stdout.trim()) : null;
}

