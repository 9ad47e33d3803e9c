// The closed-loop load of one cell: `inFlight` workers share one client, each sends its next call
// as soon as its previous reply arrives, for a fixed time.
import { LatencyHistogram, type LatencySummary } from "./histogram.js";
import { addRequest, expectedSum, type AddRequest } from "./payload.js";

export interface LoadResult {
  calls: number;
  errors: number;
  /** The first error's message, when there was one. */
  firstError?: string;
  seconds: number;
  latencyUs: LatencySummary;
}

/** A load stops early after this many failed calls: the cell is broken, not slow. */
const maxErrors = 1000;

export async function runLoad(call: (request: AddRequest) => Promise<number>, options: { inFlight: number; note: string; durationMs: number }): Promise<LoadResult> {
  const histogram = new LatencyHistogram();
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const end = started + options.durationMs;
  const worker = async () => {
    for (let sentAt = performance.now(); sentAt < end && errors < maxErrors; sentAt = performance.now()) {
      const i = next++;
      try {
        const sum = await call(addRequest(i, options.note));
        if (sum !== expectedSum(i)) throw new Error(`wrong reply: sum ${sum} for call ${i}`);
        histogram.record((performance.now() - sentAt) * 1000);
      } catch (error) {
        errors++;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, worker));
  return {
    calls: histogram.count,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    seconds: (performance.now() - started) / 1000,
    latencyUs: histogram.summary(),
  };
}
