// The runner's side of the observability overhead: forks its process, follows its rounds, and
// turns the calls/s of each run into a median ratio to the baseline of the same round.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Progress } from "../progress.js";
import type { OverheadRequest, OverheadResult, OverheadRuns, OverheadVariantResult } from "./overhead-types.js";
import { baselineOf, VariantId, variantLabels } from "./variants.js";

const script = fileURLToPath(new URL("./overhead-child.js", import.meta.url));

type FromOverhead = { type: "round"; round: number } | { type: "done"; runs: OverheadRuns } | { type: "failed"; message: string };

export async function runOverhead(request: OverheadRequest, progress: Progress): Promise<OverheadResult> {
  const label = `observability overhead · ${request.inFlight} in flight · ${request.rounds} rounds`;
  progress.start(label);
  const child = fork(script, [JSON.stringify(request)], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
  const outcome = await new Promise<FromOverhead>((resolve) => {
    child.on("message", (message: FromOverhead) => {
      if (message.type === "round") progress.start(`${label} · round ${message.round} done`);
      else resolve(message);
    });
    child.once("exit", (code) => resolve({ type: "failed", message: `the overhead process exited (${code}): ${stderr.trim()}` }));
  });
  if (outcome.type !== "done") {
    const reason = outcome.type === "failed" ? outcome.message : "no result";
    progress.finish(label, `failed (${reason.split("\n")[0]})`);
    return { status: "failed", reason, request, variants: [] };
  }
  const variants = overheadVariants(outcome.runs);
  progress.finish(label, variants.map((variant) => `${variant.id} ${variant.medianRatio.toFixed(2)}x`).join(", "));
  return { status: "ok", request, variants };
}

/** Each variant's runs and its median ratio to its baseline (`baselineOf`), round by round. */
export function overheadVariants(runs: OverheadRuns): OverheadVariantResult[] {
  return Object.values(VariantId).flatMap((id) => {
    const own = runs[id];
    const baseline = runs[baselineOf(id)];
    if (own === undefined || baseline === undefined) return [];
    const ratios = own.map((callsPerSecond, round) => callsPerSecond / baseline[round]!);
    return [{ id, label: variantLabels[id], callsPerSecond: own.map(Math.round), medianRatio: median(ratios) }];
  });
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
