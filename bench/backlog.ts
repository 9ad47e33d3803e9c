// Broker memory under a backlog: a server of the Ferry TCP broker declares its topic and stops,
// a client publishes N calls (they queue), then a server starts again and drains them. The
// broker's RSS is sampled all along; what one queued request costs is (full − idle) / N.
import { SystemId } from "./catalog.js";
import { formatCount } from "./format.js";
import { BenchChild, FerryBrokerProcess } from "./processes.js";
import { RssSampler, statusMiB } from "./proc.js";
import type { BacklogResult, BacklogSample } from "./results.js";
import type { RunEnvironment } from "./setup.js";
import type { SetupConfig } from "./systems/system.js";

const payloadBytes = 100;
const sampleEveryMs = 250;
/** Time for the broker's memory to settle before the "full" and "drained" readings. */
const settleMs = 1_000;
const phaseTimeoutMs = 15 * 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round1 = (value: number) => Math.round(value * 10) / 10;

export async function runBacklog(env: RunEnvironment, messages: number): Promise<BacklogResult> {
  const label = `backlog · ${formatCount(messages)} requests · ferry-tcp`;
  const stops: (() => Promise<void>)[] = [];
  const samples: BacklogSample[] = [];
  let timer: NodeJS.Timeout | undefined;
  const samplers: RssSampler<string>[] = [];
  try {
    env.progress.start(label);
    const broker = await FerryBrokerProcess.start({ durable: false });
    stops.push(() => broker.stop());
    const config: SetupConfig = { system: SystemId.FerryTcp, runId: env.nextRunId(), ferryUrl: broker.url, durableMethod: true, queueLength: messages };
    // A first server declares the topic (long enough for the backlog) and its group, and leaves.
    const first = await BenchChild.start("server", config);
    await first.child.stop();
    await sleep(settleMs);
    const idle = statusMiB(broker.pid, "VmRSS");

    const client = (await BenchChild.start("backlog", config)).child;
    stops.push(() => client.stop());
    let phase: BacklogSample["phase"] = "publish";
    let depth = 0;
    client.watch((message) => {
      if (message.type === "backlog-progress") depth = message.depth;
    });
    const started = performance.now();
    let peak = idle;
    const sample = () => {
      const rss = statusMiB(broker.pid, "VmRSS");
      peak = Math.max(peak, rss);
      samples.push({ ms: Math.round(performance.now() - started), phase, depth, brokerRssMiB: round1(rss) });
    };
    timer = setInterval(sample, sampleEveryMs);
    const clientSampler = new RssSampler(new Map([["client", client.pid]]));
    samplers.push(clientSampler);

    client.send({ type: "backlog", messages, payloadBytes });
    const { publishSeconds } = await client.next("backlog-full", phaseTimeoutMs);
    phase = "full";
    depth = messages;
    await sleep(settleMs);
    const full = statusMiB(broker.pid, "VmRSS");

    phase = "drain";
    const drainStarted = performance.now();
    const server = (await BenchChild.start("server", config)).child;
    stops.push(() => server.stop());
    const serverSampler = new RssSampler(new Map([["server", server.pid]]));
    samplers.push(serverSampler);
    const { failed, firstError } = await client.next("backlog-drained", phaseTimeoutMs);
    const drainSeconds = (performance.now() - drainStarted) / 1000;
    phase = "drained";
    depth = 0;
    await sleep(settleMs);
    sample();
    const drained = statusMiB(broker.pid, "VmRSS");
    const bytesPerMessage = Math.round(((full - idle) * 1024 * 1024) / messages);
    env.progress.finish(
      label,
      `published in ${publishSeconds.toFixed(1)} s, drained in ${drainSeconds.toFixed(1)} s; broker RSS ${Math.round(idle)} -> ${Math.round(full)} MiB (${bytesPerMessage} B per request), ${Math.round(drained)} MiB after${failed > 0 ? `, ${failed} calls failed (${firstError})` : ""}`,
    );
    return {
      status: failed > 0 ? "failed" : "ok",
      ...(failed > 0 ? { reason: `${failed} calls failed: ${firstError}` } : {}),
      messages,
      payloadBytes,
      publishSeconds: round1(publishSeconds),
      drainSeconds: round1(drainSeconds),
      brokerRssMiB: { idle: round1(idle), full: round1(full), peak: round1(peak), drained: round1(drained) },
      bytesPerMessage,
      clientPeakRssMiB: round1(clientSampler.peak("client")),
      serverPeakRssMiB: round1(serverSampler.peak("server")),
      samples,
    };
  } catch (error) {
    const reason = ((error as Error).message.split("\n")[0] ?? "").slice(0, 300);
    env.progress.finish(label, `failed (${reason})`);
    return {
      status: "failed",
      reason,
      messages,
      payloadBytes,
      publishSeconds: NaN,
      drainSeconds: NaN,
      brokerRssMiB: { idle: NaN, full: NaN, peak: NaN, drained: NaN },
      bytesPerMessage: NaN,
      clientPeakRssMiB: NaN,
      serverPeakRssMiB: NaN,
      samples,
    };
  } finally {
    if (timer !== undefined) clearInterval(timer);
    for (const rss of samplers) rss.stop();
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}
