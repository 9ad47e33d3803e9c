// The overhead measurement's process: every variant in this one process, measured in rounds,
// each round running every variant once (in an order rotated per round) for the same time, so
// that a moment of noise on the shared machine hits every variant alike. Reports each run's
// calls/s to the runner over IPC.
//
//   node dist/bench/overhead/overhead-child.js '{"rounds":5,"runMs":2000,"inFlight":64,"payloadBytes":100}'
import { runLoad } from "../load.js";
import { noteFor } from "../payload.js";
import { connectVariants } from "./variants.js";
import type { OverheadRequest, OverheadRuns } from "./overhead-types.js";

const request = JSON.parse(process.argv[2] ?? "{}") as OverheadRequest;

async function main(): Promise<OverheadRuns> {
  const { variants, close } = await connectVariants();
  const note = noteFor(request.payloadBytes);
  const runs: OverheadRuns = Object.fromEntries(variants.map((variant) => [variant.id, []]));
  try {
    // Warm-up: every variant once, its JIT settled before any round counts.
    for (const variant of variants) await runLoad(variant.call, { inFlight: request.inFlight, note, durationMs: request.warmupMs });
    for (let round = 0; round < request.rounds; round++) {
      for (let i = 0; i < variants.length; i++) {
        const variant = variants[(i + round) % variants.length]!;
        const result = await runLoad(variant.call, { inFlight: request.inFlight, note, durationMs: request.runMs });
        if (result.errors > 0) throw new Error(`${variant.id}: ${result.errors} calls failed: ${result.firstError}`);
        runs[variant.id]!.push(result.calls / result.seconds);
      }
      process.send?.({ type: "round", round: round + 1 });
    }
  } finally {
    await close();
  }
  return runs;
}

main().then(
  (runs) => process.send?.({ type: "done", runs }, () => process.exit(0)),
  (error: Error) => process.send?.({ type: "failed", message: error.stack ?? error.message }, () => process.exit(1)),
);
