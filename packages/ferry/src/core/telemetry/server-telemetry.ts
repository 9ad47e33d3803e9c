import type { Attributes, Span } from "@opentelemetry/api";
import type { ServerInterceptor } from "../interceptors.js";
import type { ServerObserver } from "../server-observer.js";
import { Attr, durationBucketsSeconds, errorType, Metric, rpcSystem } from "./names.js";
import { messagingAttributes, type TelemetryTools } from "./otel.js";
import { parseTraceparent, writeTraceparent } from "./traceparent.js";

/**
 * The runtime's built-in server interceptor: a `process <topic>` consumer span per handler run,
 * child of the caller's `traceparent`, active while the handler runs and written back into the
 * run's headers (so the calls the handler makes are its children); and the run's duration.
 */
export function serverTelemetry({ otel, tracer, meter, messagingSystem }: TelemetryTools): ServerInterceptor {
  const { SpanKind, SpanStatusCode } = otel;
  const duration = meter?.createHistogram(Metric.ServerCallDuration, {
    unit: "s",
    description: "Duration of handler runs, interceptors included",
    advice: { explicitBucketBoundaries: durationBucketsSeconds },
  });
  const streamItems = meter?.createCounter(Metric.ServerStreamItems, { unit: "{item}", description: "Items stream handlers sent, counted when each stream ends" });

  return (call, next) => {
    const started = performance.now();
    const rpcMethod = `${call.service}/${call.method}`;
    let run = next;
    let span: Span | undefined;
    if (tracer !== undefined) {
      const remote = parseTraceparent(call.headers["traceparent"], call.headers["tracestate"], otel.createTraceState);
      const base = otel.context.active();
      const parent = remote === undefined ? base : otel.trace.setSpanContext(base, remote);
      // Added one by one to the messaging attributes: a spread into a literal of computed keys
      // cost more than the rest of this interceptor.
      const attributes = messagingAttributes("process", messagingSystem, call.topic, call.kind === "event" ? (call.context.idempotencyKey ?? call.callId) : `${call.callId}:${call.attempt}`, call.attempt);
      attributes[Attr.MessagingPartitionId] = String(call.partition);
      attributes[Attr.MessagingConsumerGroup] = call.group;
      attributes[Attr.DeliveryCount] = call.deliveryCount;
      attributes[Attr.RpcSystemName] = rpcSystem;
      attributes[Attr.RpcMethod] = rpcMethod;
      attributes[Attr.CallId] = call.callId;
      span = tracer.startSpan(`process ${call.topic}`, { kind: SpanKind.CONSUMER, attributes }, parent);
      if (span.spanContext().traceId !== otel.INVALID_TRACEID) writeTraceparent(call.headers, span.spanContext());
      const active = otel.trace.setSpan(parent, span);
      run = () => otel.context.with(active, next);
    }
    const finish = (status: string, error: unknown) => {
      const items = call.items;
      if (span !== undefined) {
        span.setAttribute(Attr.RpcResponseStatusCode, status);
        if (items !== undefined) span.setAttribute(Attr.StreamItems, items);
        if (error !== undefined) {
          span.setAttribute(Attr.ErrorType, status);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
        }
        span.end();
      }
      const labels: Attributes = { [Attr.RpcSystemName]: rpcSystem, [Attr.RpcMethod]: rpcMethod, [Attr.RpcResponseStatusCode]: status };
      if (error !== undefined) labels[Attr.ErrorType] = status;
      duration?.record((performance.now() - started) / 1000, labels);
      if (items !== undefined) streamItems?.add(items, labels);
    };
    return run().then(
      (value) => {
        finish("OK", undefined);
        return value;
      },
      (error: unknown) => {
        finish(errorType(error), error);
        throw error;
      },
    );
  };
}

/** Counts what never reaches a handler, or leaves it for another delivery: refusals, duplicates, redeliveries, dead letters. */
export function serverMetrics({ meter }: TelemetryTools): ServerObserver | undefined {
  if (meter === undefined) return undefined;
  const redeliveries = meter.createCounter(Metric.ServerRedeliveries, { unit: "{message}", description: "Messages handed back for another delivery after a retryable failure" });
  const deadLetters = meter.createCounter(Metric.ServerDeadLetters, { unit: "{message}", description: "Messages the server sent to the dead-letter topic: failed on their last delivery, or malformed" });
  const refused = meter.createCounter(Metric.ServerRefused, { unit: "{request}", description: "Requests refused before their handler" });
  const replays = meter.createCounter(Metric.ServerIdempotencyReplays, { unit: "{request}", description: "Duplicates answered from the idempotency store" });
  const joins = meter.createCounter(Metric.ServerIdempotencyJoins, { unit: "{request}", description: "Duplicates that waited for the run in flight and shared its outcome" });
  const labels = (service: string, method: string | undefined): Attributes => ({ [Attr.RpcSystemName]: rpcSystem, [Attr.RpcMethod]: `${service}/${method ?? "_OTHER"}` });
  return {
    refused: (service, method, error) => refused.add(1, { ...labels(service, method), [Attr.ErrorType]: error.code }),
    malformed: (topic) => deadLetters.add(1, { [Attr.RpcSystemName]: rpcSystem, [Attr.MessagingDestinationName]: topic }),
    deduplicated: (service, method, how) => (how === "replayed" ? replays : joins).add(1, labels(service, method)),
    redelivered: (service, method, _deliveryCount, error, last) => {
      const attributes = { ...labels(service, method), [Attr.ErrorType]: error.code };
      if (last) deadLetters.add(1, attributes);
      else redeliveries.add(1, attributes);
    },
  };
}
