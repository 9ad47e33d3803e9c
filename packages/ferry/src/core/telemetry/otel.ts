import type * as OtelApi from "@opentelemetry/api";
import { Attr } from "./names.js";

/** The `@opentelemetry/api` module, loaded at connect (an optional peer of ferry). */
export type Otel = typeof OtelApi;

/** What Ferry records with: a tracer when the application registered a TracerProvider, a meter when it registered a MeterProvider. */
export interface TelemetryTools {
  otel: Otel;
  tracer: OtelApi.Tracer | undefined;
  meter: OtelApi.Meter | undefined;
  /** `messaging.system` of this runtime's transport: `ferry`, `nats`, ... */
  messagingSystem: string;
}

/** The parent of a span made for `headers`: the active span if there is one, else the `traceparent` the headers carry. */
export function parentContext(otel: Otel, headers: Readonly<Record<string, string>>, parse: (headers: Readonly<Record<string, string>>) => OtelApi.SpanContext | undefined): OtelApi.Context {
  const active = otel.context.active();
  if (otel.trace.getSpan(active) !== undefined) return active;
  const remote = parse(headers);
  return remote === undefined ? active : otel.trace.setSpanContext(active, remote);
}

/** The messaging attributes a send and a process span share: what, where, and which message. */
export function messagingAttributes(operation: "send" | "process", system: string, topic: string, messageId: string, attempt: number): OtelApi.Attributes {
  return {
    [Attr.MessagingSystem]: system,
    [Attr.MessagingOperationType]: operation,
    [Attr.MessagingOperationName]: operation,
    [Attr.MessagingDestinationName]: topic,
    [Attr.MessagingMessageId]: messageId,
    [Attr.Attempt]: attempt,
  };
}
