import type { SpanContext, TraceState } from "@opentelemetry/api";

/**
 * The W3C trace context headers (`traceparent`, `tracestate`), read and written by Ferry itself:
 * they are what links a caller's span to the server's across the broker, and Ferry carries them
 * in every request's headers whatever propagator (if any) the application registered.
 */
const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The span context a `traceparent` names (remote), or undefined when it is absent or malformed. */
export function parseTraceparent(traceparent: string | undefined, tracestate: string | undefined, makeTraceState: (raw: string) => TraceState): SpanContext | undefined {
  if (traceparent === undefined) return undefined;
  const match = traceparentPattern.exec(traceparent);
  if (match === null || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined;
  const context: SpanContext = { traceId: match[1]!, spanId: match[2]!, traceFlags: parseInt(match[3]!, 16) & 1, isRemote: true };
  if (tracestate !== undefined && tracestate !== "") context.traceState = makeTraceState(tracestate);
  return context;
}

/** Writes `context` into `headers` as `traceparent` (and `tracestate` when it has one). */
export function writeTraceparent(headers: Record<string, string>, context: SpanContext): void {
  headers["traceparent"] = `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 1) === 1 ? "01" : "00"}`;
  const state = context.traceState?.serialize();
  if (state !== undefined && state !== "") headers["tracestate"] = state;
  else delete headers["tracestate"];
}
