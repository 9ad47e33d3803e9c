// What the overhead measurement is asked, what its process reports, and what the results keep.
import type { VariantId } from "./variants.js";

export interface OverheadRequest {
  rounds: number;
  /** Each variant's measured run in a round, ms. */
  runMs: number;
  warmupMs: number;
  inFlight: number;
  payloadBytes: number;
}

/** Calls/s of each run, by variant, in round order. */
export type OverheadRuns = Partial<Record<VariantId, number[]>>;

export interface OverheadVariantResult {
  id: VariantId;
  label: string;
  /** Calls/s of each round. */
  callsPerSecond: number[];
  /** Median over rounds of (this variant's calls/s ÷ the baseline's in the same round). */
  medianRatio: number;
}

export interface OverheadResult {
  status: "ok" | "failed";
  reason?: string;
  request: OverheadRequest;
  variants: OverheadVariantResult[];
}
