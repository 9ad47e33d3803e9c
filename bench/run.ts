// A whole run: every setup of the plan one after the other, then the backlog; one nats-server
// shared by every NATS system; the machine's description.
import net from "node:net";
import { BrokerKind, systemInfo, SystemId } from "./catalog.js";
import { runBacklog } from "./backlog.js";
import { machineInfo } from "./machine.js";
import { NatsServer } from "../test/support/nats-server.js";
import { natsServerVersion } from "./nats-server.js";
import { estimateSeconds, planSetups, runsBacklog, type BenchOptions } from "./plan.js";
import { findPid } from "./proc.js";
import { Progress } from "./progress.js";
import type { BenchResults, CellResult } from "./results.js";
import { runSetup, type RunEnvironment } from "./setup.js";
import { runOverhead } from "./overhead/run-overhead.js";
import { Part } from "./plan.js";
import { defaultAmqpUrl } from "./systems/rabbitmq.js";

async function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 5672) });
    const settle = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(1_000);
    socket.once("connect", () => settle(true));
    socket.once("error", () => settle(false));
    socket.once("timeout", () => settle(false));
  });
}

export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const started = new Date();
  const natsVersion = natsServerVersion();
  const amqpUrl = process.env["AMQP_URL"] ?? defaultAmqpUrl;
  const rabbitmqUp = await reachable(amqpUrl);
  const plans = planSetups(options);
  const runsOverhead = options.parts.includes(Part.Overhead);
  const cellCount = plans.reduce((sum, plan) => sum + plan.cells.length, 0) + (runsBacklog(options) ? 1 : 0) + (runsOverhead ? 1 : 0);
  const progress = new Progress(cellCount, estimateSeconds(options));
  let nats: Promise<NatsServer> | undefined;
  let runs = 0;
  const facts: Record<string, unknown> = {};
  const env: RunEnvironment = {
    seconds: options.seconds,
    warmupSeconds: options.warmupSeconds,
    progress,
    amqpUrl,
    rabbitmqPid: rabbitmqUp ? findPid("beam.smp", "rabbit") : undefined,
    unavailable(system: SystemId) {
      const broker = systemInfo(system).broker;
      if (broker === BrokerKind.Nats && natsVersion === null) return "nats-server is not installed (apt-get install nats-server, or set NATS_SERVER)";
      if (broker === BrokerKind.RabbitMq && !rabbitmqUp) return `RabbitMQ is not reachable at ${new URL(amqpUrl).host}`;
      return undefined;
    },
    nats: async () => {
      nats ??= NatsServer.start();
      const server = await nats;
      return { url: server.url, pid: server.process.pid! };
    },
    remember: (info) => Object.assign(facts, info),
    nextRunId: () => `${process.pid}-${runs++}`,
  };
  progress.note(`ferry bench: ${cellCount} cells, ${options.seconds} s each after ${options.warmupSeconds} s of warm-up, about ${Math.ceil(estimateSeconds(options) / 60)} min`);
  const cells: CellResult[] = [];
  let backlog = null;
  let overhead = null;
  try {
    for (const plan of plans) cells.push(...(await runSetup(plan, env)));
    if (runsBacklog(options)) backlog = await runBacklog(env, options.backlogMessages);
    if (runsOverhead) {
      overhead = await runOverhead(
        { rounds: options.overheadRounds, runMs: options.overheadSeconds * 1000, warmupMs: options.warmupSeconds * 1000, inFlight: 64, payloadBytes: 100 },
        progress,
      );
    }
  } finally {
    if (nats !== undefined) await (await nats.catch(() => undefined))?.stop();
  }
  const finished = new Date();
  return {
    version: 1,
    started: started.toISOString(),
    finished: finished.toISOString(),
    durationSeconds: Math.round((finished.getTime() - started.getTime()) / 1000),
    machine: machineInfo(natsVersion, typeof facts["rabbitmq"] === "string" ? facts["rabbitmq"] : null),
    options: { quick: options.quick, seconds: options.seconds, warmupSeconds: options.warmupSeconds },
    cells,
    backlog,
    overhead,
  };
}
