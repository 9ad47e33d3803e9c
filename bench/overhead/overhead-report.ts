// The overhead's table, for the terminal and for the README's benchmark section.
import { formatCount } from "../format.js";
import type { OverheadResult } from "./overhead-types.js";

export function overheadText(result: OverheadResult | null | undefined): string | undefined {
  if (result === null || result === undefined) return undefined;
  const { request } = result;
  const title = `**Observability overhead** (${request.inFlight} in flight, ${request.payloadBytes} B; ${request.rounds} interleaved rounds of ${request.runMs / 1000} s per variant, client, server and broker in one process; each ratio is to nothing on over the same broker):`;
  if (result.status !== "ok") return `${title} ${result.status}${result.reason === undefined ? "" : ` (${result.reason.split("\n")[0]})`}.`;
  return [
    title,
    "",
    "| variant | calls/s per round | median ratio |",
    "|---|--:|--:|",
    ...result.variants.map((variant) => `| ${variant.label} | ${variant.callsPerSecond.map(formatCount).join(" · ")} | ${variant.medianRatio.toFixed(2)}x |`),
  ].join("\n");
}
