// The client side of the backlog measurement: publish a million calls to a Ferry service whose
// server is stopped (a durable method, so they queue instead of failing fast), tell the runner
// once the broker holds them all, then count the replies as a restarted server drains them.
import { connect, serviceTopic, type Ferry } from "../packages/ferry/src/index.js";
import type { FromChild } from "./ipc.js";
import { addRequest, noteFor } from "./payload.js";
import { benchService } from "./service.js";

/** Calls issued but not yet in the broker's queue: keeps the client's socket buffer bounded. */
const maxInTransit = 20_000;
const batch = 1_000;
const progressEveryMs = 250;
/** Long enough for the whole backlog to build and drain: no request expires in the queue. */
const callTimeoutMs = 30 * 60_000;

async function queuedAtBroker(ferry: Ferry, topic: string): Promise<number> {
  const stats = await ferry.stats();
  return stats.broker.topics.find((t) => t.name === topic)?.partitions.reduce((sum, p) => sum + p.depth, 0) ?? 0;
}

export async function runBacklogClient(url: string, messages: number, payloadBytes: number, send: (message: FromChild) => void): Promise<void> {
  // One client holds the whole backlog's calls open: raise its guard (default 50,000) to fit.
  const ferry = await connect({ url, maxPendingCalls: messages });
  const method = benchService(true).methods.add;
  const topic = serviceTopic(method.service);
  const note = noteFor(payloadBytes);
  let published = 0;
  let replied = 0;
  let failed = 0;
  let depth = 0;
  let firstError: string | undefined;
  const report = () => send({ type: "backlog-progress", published, depth, replied, failed });
  const started = performance.now();
  let lastReport = 0;
  const inTransit = () => published - depth - failed;
  while (depth + failed < messages) {
    while (published < messages && inTransit() < maxInTransit) {
      for (const end = Math.min(messages, published + batch); published < end; published++) {
        ferry.call(method, addRequest(published, note), { timeoutMs: callTimeoutMs }).then(
          () => replied++,
          (error: Error) => {
            failed++;
            firstError ??= error.message;
          },
        );
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    depth = await queuedAtBroker(ferry, topic);
    if (performance.now() - lastReport >= progressEveryMs) {
      lastReport = performance.now();
      report();
    }
    if (inTransit() >= maxInTransit || published === messages) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  send({ type: "backlog-full", publishSeconds: (performance.now() - started) / 1000 });
  while (replied + failed < messages) {
    await new Promise((resolve) => setTimeout(resolve, progressEveryMs));
    depth = await queuedAtBroker(ferry, topic);
    report();
  }
  send({ type: "backlog-drained", failed, ...(firstError === undefined ? {} : { firstError }) });
  await ferry.close();
}
