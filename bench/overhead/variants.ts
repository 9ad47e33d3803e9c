// The runtimes the observability overhead compares, each a client and a server runtime on a
// broker of its own: Ferry with nothing on, and with one thing on at a time. Most run on an
// in-process broker, the worst case (the call itself costs least); two run over a TCP broker
// in the same process, nothing on and tracing, to show the same cost against a call that
// crosses sockets.
import { metrics, trace } from "@opentelemetry/api";
import { MeterProvider, MetricReader, AggregationTemporality } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { connect, type ConnectOptions, type Ferry } from "../../packages/ferry/src/index.js";
import { Broker, startBroker } from "../../packages/ferry/src/broker/index.js";
import { benchService } from "../service.js";
import { add, type AddRequest } from "../payload.js";
import { serverConcurrency } from "../systems/ferry.js";

export const VariantId = {
  Baseline: "baseline",
  ClientInterceptor: "client-interceptor",
  ServerInterceptor: "server-interceptor",
  Tracing: "tracing",
  TracingMetrics: "tracing-metrics",
  CallerStacks: "caller-stacks",
  TcpBaseline: "tcp-baseline",
  TcpTracing: "tcp-tracing",
} as const;
export type VariantId = (typeof VariantId)[keyof typeof VariantId];

export const variantLabels: Record<VariantId, string> = {
  [VariantId.Baseline]: "nothing on (callerStacks: false, no interceptor, no SDK)",
  [VariantId.ClientInterceptor]: "one no-op client interceptor",
  [VariantId.ServerInterceptor]: "one no-op server interceptor",
  [VariantId.Tracing]: "tracing: SDK tracer provider, batch processor, no-op exporter",
  [VariantId.TracingMetrics]: "tracing and metrics: the same, plus an SDK meter provider",
  [VariantId.CallerStacks]: "callerStacks: true",
  [VariantId.TcpBaseline]: "over a TCP broker: nothing on (the next row's baseline)",
  [VariantId.TcpTracing]: "over a TCP broker: tracing, as above",
};

/** The variant each one is compared with, round by round: its own broker's runtime with nothing on. */
export function baselineOf(id: VariantId): VariantId {
  return id === VariantId.TcpBaseline || id === VariantId.TcpTracing ? VariantId.TcpBaseline : VariantId.Baseline;
}

/** One variant, connected: a call, and the way to close it. */
export interface Variant {
  id: VariantId;
  call(request: AddRequest): Promise<number>;
  close(): Promise<void>;
}

/** Exports nothing: the SDK's whole cost up to the exporter, without any I/O. */
const noopExporter: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
};

/** A metric reader nobody collects: instruments record, nothing is exported. */
class IdleReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function connectVariant(id: VariantId, options: ConnectOptions, serverOptions: { interceptors?: [] | [(call: unknown, next: () => Promise<unknown>) => Promise<unknown>] } = {}): Promise<Variant> {
  const tcp = baselineOf(id) === VariantId.TcpBaseline ? await startBroker({ port: 0, host: "127.0.0.1" }) : undefined;
  const broker = tcp === undefined ? new Broker() : undefined;
  const where: ConnectOptions = tcp === undefined ? { broker } : { url: tcp.url };
  const server: Ferry = await connect({ ...where, callerStacks: false, ...options });
  await server.serve(benchService(false), { add }, { concurrency: serverConcurrency, ...serverOptions });
  const client: Ferry = await connect({ ...where, callerStacks: false, ...options });
  const method = benchService(false).methods.add;
  return {
    id,
    call: async (request) => (await client.call(method, request)).sum,
    close: async () => {
      await client.close();
      await server.close();
      broker?.close();
      await tcp?.close();
    },
  };
}

/**
 * Connects every variant. The order matters: a runtime decides at connect whether telemetry is
 * on, so the variants without it connect before the SDK is registered, and it stays registered
 * (for the traced variants) while all of them run.
 */
export async function connectVariants(): Promise<{ variants: Variant[]; close(): Promise<void> }> {
  const noop = async (_call: unknown, next: () => Promise<unknown>) => next();
  const variants = [
    await connectVariant(VariantId.Baseline, {}),
    await connectVariant(VariantId.ClientInterceptor, { interceptors: [noop] }),
    await connectVariant(VariantId.ServerInterceptor, {}, { interceptors: [noop] }),
    await connectVariant(VariantId.CallerStacks, { callerStacks: true }),
    await connectVariant(VariantId.TcpBaseline, {}),
  ];
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(noopExporter)] });
  trace.setGlobalTracerProvider(tracerProvider);
  variants.push(await connectVariant(VariantId.Tracing, {}));
  variants.push(await connectVariant(VariantId.TcpTracing, {}));
  const meterProvider = new MeterProvider({ readers: [new IdleReader()] });
  metrics.setGlobalMeterProvider(meterProvider);
  variants.push(await connectVariant(VariantId.TracingMetrics, {}));
  return {
    variants,
    async close() {
      for (const variant of variants) await variant.close();
      trace.disable();
      metrics.disable();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}
