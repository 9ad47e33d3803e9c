import type { Attributes } from "@opentelemetry/api";
import { ErrorCode } from "../errors.js";
import type { ClientInterceptor } from "../interceptors.js";
import { Attr, durationBucketsSeconds, errorType, Metric, rpcSystem } from "./names.js";
import { messagingAttributes, parentContext, type TelemetryTools } from "./otel.js";
import { parseTraceparent, writeTraceparent } from "./traceparent.js";

/**
 * The runtime's built-in client interceptor: a `Service/method` client span over the whole call,
 * a `send <topic>` producer span per attempt (whose context the attempt carries in `traceparent`),
 * and the call's duration, attempts, retries and timeouts as metrics.
 */
export function clientTelemetry({ otel, tracer, meter, messagingSystem }: TelemetryTools): ClientInterceptor {
  const { SpanKind, SpanStatusCode } = otel;
  const duration = meter?.createHistogram(Metric.ClientCallDuration, {
    unit: "s",
    description: "Duration of outgoing calls, all attempts and backoffs included",
    advice: { explicitBucketBoundaries: durationBucketsSeconds },
  });
  const attempts = meter?.createCounter(Metric.ClientAttempts, { unit: "{attempt}", description: "Requests sent: every attempt of every call" });
  const retries = meter?.createCounter(Metric.ClientRetries, { unit: "{attempt}", description: "Attempts after the first" });
  const timeouts = meter?.createCounter(Metric.ClientTimeouts, { unit: "{attempt}", description: "Attempts that got no reply within their timeout" });
  const streamItems = meter?.createCounter(Metric.ClientStreamItems, { unit: "{item}", description: "Items streams received, counted when each stream ends" });
  const parse = (headers: Readonly<Record<string, string>>) => parseTraceparent(headers["traceparent"], headers["tracestate"], otel.createTraceState);

  return async (call, next) => {
    const started = performance.now();
    const rpcMethod = `${call.service}/${call.method}`;
    const parent = tracer === undefined ? undefined : parentContext(otel, call.headers, parse);
    const span = tracer?.startSpan(rpcMethod, { kind: SpanKind.CLIENT, attributes: { [Attr.RpcSystemName]: rpcSystem, [Attr.RpcMethod]: rpcMethod, [Attr.CallId]: call.callId } }, parent);
    const callContext = span === undefined ? undefined : otel.trace.setSpan(parent!, span);
    call.watchAttempts((attempt) => {
      const labels: Attributes = { [Attr.RpcSystemName]: rpcSystem, [Attr.RpcMethod]: rpcMethod };
      attempts?.add(1, labels);
      if (attempt.attempt > 1) retries?.add(1, labels);
      const send = tracer?.startSpan(
        `send ${attempt.topic}`,
        {
          kind: SpanKind.PRODUCER,
          attributes: messagingAttributes("send", messagingSystem, attempt.topic, attempt.messageId, attempt.attempt),
        },
        callContext,
      );
      if (send !== undefined && send.spanContext().traceId !== otel.INVALID_TRACEID) writeTraceparent(attempt.headers, send.spanContext());
      return (error) => {
        if (error !== undefined && (error as { code?: unknown }).code === ErrorCode.Timeout) timeouts?.add(1, labels);
        if (send === undefined) return;
        if (error !== undefined) {
          send.setAttribute(Attr.ErrorType, errorType(error));
          send.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        }
        send.end();
      };
    });
    let status = "OK";
    try {
      return await (callContext === undefined ? next() : otel.context.with(callContext, next));
    } catch (error) {
      status = errorType(error);
      span?.setAttribute(Attr.ErrorType, status);
      span?.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
      throw error;
    } finally {
      span?.setAttribute(Attr.RpcResponseStatusCode, status);
      span?.setAttribute(Attr.Attempts, call.attempt);
      const items = call.items;
      if (items !== undefined) span?.setAttribute(Attr.StreamItems, items);
      span?.end();
      const labels: Attributes = { [Attr.RpcSystemName]: rpcSystem, [Attr.RpcMethod]: rpcMethod, [Attr.RpcResponseStatusCode]: status };
      if (status !== "OK") labels[Attr.ErrorType] = status;
      duration?.record((performance.now() - started) / 1000, labels);
      if (items !== undefined) streamItems?.add(items, labels);
    }
  };
}
