import { newCallId } from "./call-id.js";
import { currentContext } from "./context.js";
import type { MethodDefinition } from "./definition.js";
import { InvalidArgumentError } from "./errors.js";
import { serviceTopic } from "./topics.js";
import { encodeValue } from "./wire/codec.js";
import { encodeEnvelope, MessageKind, type Envelope } from "./wire/envelope.js";

/** Headers a nested call inherits from the call its handler is serving. */
const inheritedHeaders = ["traceparent", "tracestate"];

/** What `emit` and an outbox relay hand to `Transport.publish`: the same bytes either way. */
export interface EventMessage {
  topic: string;
  /** The encoded envelope (kind `Event`). */
  bytes: Uint8Array;
  /** Partition and ordering key, if any. */
  key: string | undefined;
  /** The idempotency key, else the call id: what a broker dedupes a republish by. */
  messageId: string;
  durable: boolean;
  /** The call id (uuid v7). */
  callId: string;
  idempotencyKey: string | undefined;
}

export interface EventMessageOptions {
  key?: string;
  idempotencyKey?: string;
  headers?: Record<string, string>;
}

/**
 * Builds a fire-and-forget message for `method`: an event, or a call whose reply nobody waits for.
 * `alwaysKeyed` gives it an idempotency key (its call id) even when its method is not
 * `@idempotent`: an outbox relay may publish a row twice (a crash between the broker's confirm
 * and marking the row sent), and the key is what lets the server run it once.
 */
export function eventMessage(method: MethodDefinition, payload: unknown, options: EventMessageOptions, alwaysKeyed: boolean, callId = newCallId()): EventMessage {
  const context = currentContext();
  const key = options.key ?? method.keyOf?.(payload);
  const envelope: Envelope = { kind: MessageKind.Event, id: callId, service: method.service, method: method.name, attempt: 1 };
  const idempotencyKey = options.idempotencyKey ?? (alwaysKeyed || method.idempotent === true ? callId : undefined);
  if (idempotencyKey !== undefined) envelope.idempotencyKey = idempotencyKey;
  if (key !== undefined) envelope.key = key;
  const headers = mergeHeaders(context?.headers, options.headers);
  if (headers !== undefined) envelope.headers = headers;
  if (payload !== undefined) envelope.body = encodeRequest(payload);
  return {
    topic: serviceTopic(method.service),
    bytes: encodeEnvelope(envelope),
    key,
    messageId: idempotencyKey ?? callId,
    durable: method.durable === true,
    callId,
    idempotencyKey,
  };
}

export function encodeRequest(request: unknown): Uint8Array {
  try {
    return encodeValue(request);
  } catch (error) {
    throw new InvalidArgumentError(`the request cannot be encoded: ${(error as Error).message}`, { cause: error });
  }
}

/** The headers a message carries: those inherited from the call being served, then its own. */
export function mergeHeaders(parent: Readonly<Record<string, string>> | undefined, own: Record<string, string> | undefined): Record<string, string> | undefined {
  let headers: Record<string, string> | undefined;
  if (parent !== undefined) {
    for (const name of inheritedHeaders) {
      const value = parent[name];
      if (value !== undefined) (headers ??= {})[name] = value;
    }
  }
  return own === undefined ? headers : { ...headers, ...own };
}
