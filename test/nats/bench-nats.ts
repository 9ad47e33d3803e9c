// Benchmark of Ferry over NATS: calls per second and p50/p99 latency with 1 and 64 calls in
// flight, core and durable mode. The server runs in a forked child process, so every call
// crosses processes, as in the peer benchmark (/work/shared/bench-peers). Not a mocha test.
//
//   node dist/test/nats/bench-nats.js [--url nats://127.0.0.1:4222] [--seconds 5]
// Without --url it starts its own nats-server (with JetStream) on a free port.
import { fork } from "node:child_process";
import { encodeValue } from "../../core/codec.js";
import { defineService, method } from "../../core/definition.js";
import { Ferry } from "../../core/ferry.js";
import { NatsTransport } from "../../transports/nats/nats-transport.js";
import { NatsServer } from "./nats-server.js";

interface AddRequest {
  a: number;
  b: number;
  note: string;
}

// Two services: durability is per topic, and a topic is durable when any of its methods is.
const BenchCore = defineService("BenchCore", { add: method<AddRequest, number>() });
const BenchDurable = defineService("BenchDurable", { add: method<AddRequest, number>({ durable: true }) });

const note = (() => {
  const base = "the quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnopqrstuvwxyz";
  for (let n = 0; n < base.length; n++) if (encodeValue({ a: 0.25, b: 1.5, note: base.slice(0, n) }).length === 100) return base.slice(0, n);
  throw new Error("cannot pad the payload to 100 bytes");
})();

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? undefined : args[index + 1];
};

if (args[0] === "serve") {
  const url = args[1]!;
  const transport = await NatsTransport.connect({ url, prefix: "bench" });
  const ferry = new Ferry(transport);
  await ferry.start();
  await ferry.serve(BenchCore, { add: ({ a, b }: AddRequest) => a + b }, { concurrency: 256 });
  await ferry.serve(BenchDurable, { add: ({ a, b }: AddRequest) => a + b }, { concurrency: 256 });
  process.send!("ready");
} else {
  const seconds = Number(arg("seconds") ?? 5);
  let own: NatsServer | undefined;
  const url = arg("url") ?? (own = await NatsServer.start()).url;
  const child = fork(new URL(import.meta.url).pathname, ["serve", url]);
  await new Promise((resolve) => child.once("message", resolve));
  const client = new Ferry(await NatsTransport.connect({ url, prefix: "bench" }));
  await client.start();
  const request: AddRequest = { a: 0.25, b: 1.5, note };
  for (const [label, m] of [["core", BenchCore.methods.add], ["durable", BenchDurable.methods.add]] as const) {
    for (const inFlight of [1, 64]) {
      await run(client, m, request, inFlight, 1); // warm-up
      const { calls, latencies } = await run(client, m, request, inFlight, seconds);
      latencies.sort((x, y) => x - y);
      const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(3);
      console.log(`ferry-nats ${label.padEnd(8)} in-flight ${String(inFlight).padStart(2)}: ${Math.round(calls / seconds)} calls/s  p50 ${p(0.5)} ms  p99 ${p(0.99)} ms`);
    }
  }
  await client.close();
  child.kill();
  await own?.stop();
}

async function run(client: Ferry, m: typeof BenchCore.methods.add, request: AddRequest, inFlight: number, seconds: number) {
  const end = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let calls = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        const started = performance.now();
        await client.call(m, request);
        latencies.push(performance.now() - started);
        calls++;
      }
    }),
  );
  return { calls, latencies };
}
