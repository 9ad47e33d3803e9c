import http from "node:http";
import type { AddressInfo } from "node:net";
import { describeValue } from "../../core/describe-value.js";
import { InvalidArgumentError } from "../../core/errors.js";
import { importOptionalPeer } from "../../transports/optional-peer.js";
import { defaultMetricsHost } from "./metrics-host.js";
import { registerBrokerMetrics, type BrokerMetricsSource } from "./broker-metrics.js";

export interface MetricsServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1: metrics name topics and groups, so they stay on the machine unless asked. */
  host?: string;
}


export interface MetricsServer {
  readonly port: number;
  readonly url: string;
  /** What `/metrics` reports from here on; `/readyz` answers 200 once a source is set, 503 before and after `unready`. */
  serve(source: BrokerMetricsSource): void;
  /** `/readyz` answers 503 from now on (the broker is shutting down). */
  unready(): void;
  close(): Promise<void>;
}

/**
 * The broker's HTTP endpoint: `/metrics` in Prometheus text format (the OpenTelemetry Prometheus
 * exporter over an SDK MeterProvider of its own), `/healthz` (200 while the process answers) and
 * `/readyz` (200 while the broker accepts connections). The SDK and exporter are optional peers,
 * loaded only here.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { port } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`metrics port must be a whole number from 0 to 65535, got ${describeValue(port)}`);
  const host = options.host ?? defaultMetricsHost;
  await importOptionalPeer(() => import("@opentelemetry/api"), "@opentelemetry/api", "the broker's metrics endpoint");
  const { MeterProvider } = await importOptionalPeer(() => import("@opentelemetry/sdk-metrics"), "@opentelemetry/sdk-metrics", "the broker's metrics endpoint");
  const { PrometheusExporter } = await importOptionalPeer(() => import("@opentelemetry/exporter-prometheus"), "@opentelemetry/exporter-prometheus", "the broker's metrics endpoint");
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  let stopMetrics: (() => void) | undefined;
  let ready = false;

  const server = http.createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") return answer(response, 405, "only GET\n");
    if (path === "/metrics") return exporter.getMetricsRequestHandler(request, response);
    if (path === "/healthz") return answer(response, 200, "ok\n");
    if (path === "/readyz") return ready ? answer(response, 200, "ready\n") : answer(response, 503, "not ready\n");
    answer(response, 404, "not found: /metrics, /healthz, /readyz\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}`,
    serve(source) {
      stopMetrics?.();
      stopMetrics = registerBrokerMetrics(provider.getMeter("ferry-broker"), source);
      ready = true;
    },
    unready() {
      ready = false;
    },
    async close() {
      ready = false;
      stopMetrics?.();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await provider.shutdown();
    },
  };
}

function answer(response: http.ServerResponse, status: number, body: string): void {
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  response.end(body);
}
