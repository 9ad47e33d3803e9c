import type { ClientInterceptor, ServerInterceptor } from "../interceptors.js";
import type { ServerObserver } from "../server-observer.js";
import { instrumentationScope } from "./names.js";
import type { Otel, TelemetryTools } from "./otel.js";

/** The runtime's built-in telemetry: interceptors on both sides and a server observer. */
export interface RuntimeTelemetry {
  client: ClientInterceptor;
  server: ServerInterceptor;
  observer: ServerObserver | undefined;
}

/**
 * Ferry's telemetry, when `@opentelemetry/api` is installed and the application registered a
 * TracerProvider or a MeterProvider before connecting; otherwise undefined, and the runtime runs
 * with no interceptor of its own (nothing on the call path). The modules are imported here, at
 * connect, so an application without OpenTelemetry never loads them.
 */
export async function loadTelemetry(messagingSystem: string): Promise<RuntimeTelemetry | undefined> {
  let otel: Otel;
  try {
    otel = await import("@opentelemetry/api");
  } catch {
    return undefined; // not installed: no telemetry, by design
  }
  const tools = toolsOf(otel, messagingSystem);
  if (tools.tracer === undefined && tools.meter === undefined) return undefined;
  const [{ clientTelemetry }, { serverTelemetry, serverMetrics }] = await Promise.all([import("./client-telemetry.js"), import("./server-telemetry.js")]);
  return { client: clientTelemetry(tools), server: serverTelemetry(tools), observer: serverMetrics(tools) };
}

/** A tracer and a meter from the global providers, each left out when its provider is OpenTelemetry's no-op default. */
export function toolsOf(otel: Otel, messagingSystem: string): TelemetryTools {
  const tracerProvider = otel.trace.getTracerProvider();
  // The global provider is a proxy: without an SDK it delegates to the API's no-op provider,
  // the one a fresh proxy also returns.
  const tracing = !(tracerProvider instanceof otel.ProxyTracerProvider) || tracerProvider.getDelegate() !== new otel.ProxyTracerProvider().getDelegate();
  const meter = otel.metrics.getMeter(instrumentationScope);
  return {
    otel,
    tracer: tracing ? otel.trace.getTracer(instrumentationScope) : undefined,
    meter: meter === otel.createNoopMeter() ? undefined : meter,
    messagingSystem,
  };
}
