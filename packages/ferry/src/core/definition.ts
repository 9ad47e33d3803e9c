import type { CallContext } from "./context.js";
import { describeValue } from "./describe-value.js";
import { InvalidArgumentError } from "./errors.js";

/** One problem found by a validator, e.g. `{ path: "req.items[2].qty", message: "expected number" }`. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/**
 * Checks a decoded value; an empty list means valid. Generated validators have this shape. They
 * also remove from the value every property its type does not declare, so a handler never sees
 * one; with `strict` they report each such property as an issue instead, and remove nothing.
 *
 * `mapEntries` is the number of entries of every map in the value's msgpack (`decodeCounted`).
 * A validator that finds that many declared properties needs not visit each object's keys to
 * know there is no other one, which would double its cost; without it, it visits them all.
 */
export type Validator = (value: unknown, strict?: boolean, mapEntries?: number) => readonly ValidationIssue[];

/** `call`: one reply; `event`: none; `stream`: many (an `AsyncIterable` of items, see `stream()`). */
export type MethodKind = "call" | "event" | "stream";

/** What a method declares beyond its types: JSDoc tags turned into options. */
export interface MethodOptions {
  /** Deduplicate by idempotency key on the server, replaying the stored reply. Default false. */
  idempotent?: boolean;
  /** Default per-attempt timeout for calls of this method, ms. */
  timeoutMs?: number;
  /** Default retry count for calls of this method. */
  retries?: number;
  /** Dotted path of the request field used as partition and ordering key, e.g. `orderId`. */
  keyPath?: string;
  /** Requests go through a durable topic and survive a broker restart. Default false. */
  durable?: boolean;
  validateRequest?: Validator;
  validateResponse?: Validator;
}

/** A method of a service, as the runtime sees it. `Req` and `Res` exist only for typing. */
export interface MethodDefinition<Req = unknown, Res = unknown> extends MethodOptions {
  readonly service: string;
  readonly name: string;
  readonly kind: MethodKind;
  /** Reads the partition key out of a request (compiled from `keyPath`). */
  readonly keyOf?: (request: Req) => string | undefined;
  /** Phantom field carrying the request and response types; never set. */
  readonly types?: { request: Req; response: Res };
}

/** A method before it knows its service (what `method()` and `event()` return). */
export interface MethodSpec<Req, Res> extends MethodOptions {
  readonly kind: MethodKind;
  readonly types?: { request: Req; response: Res };
}

/** A streaming method: its reply is a sequence of `Item`s with flow control (`stream()`). */
export interface StreamMethodDefinition<Req = unknown, Item = unknown> extends MethodDefinition<Req, Item> {
  readonly kind: "stream";
}

/** A streaming method before it knows its service (what `stream()` returns). */
export interface StreamSpec<Req, Item> extends MethodSpec<Req, Item> {
  readonly kind: "stream";
}

export interface ServiceDefinition<M extends Record<string, MethodDefinition<any, any>> = Record<string, MethodDefinition<any, any>>> {
  readonly name: string;
  readonly methods: M;
  /** Hash of the interface the definition was generated from. */
  readonly schemaHash?: string;
}

export type RequestOf<M> = M extends MethodDefinition<infer Req, any> ? Req : never;
export type ResponseOf<M> = M extends MethodDefinition<any, infer Res> ? Res : never;

/** What `serve` needs: one function per method, typed by the definition. */
export type ServiceHandlers<D extends ServiceDefinition> = {
  [K in keyof D["methods"]]: D["methods"][K] extends { readonly kind: "stream" }
    ? // A stream's handler: an `async function*`, or any function returning an AsyncIterable (or a promise of one).
      (request: RequestOf<D["methods"][K]>, context: CallContext) => AsyncIterable<ResponseOf<D["methods"][K]>> | Promise<AsyncIterable<ResponseOf<D["methods"][K]>>>
    : (request: RequestOf<D["methods"][K]>, context: CallContext) => Promise<ResponseOf<D["methods"][K]>> | ResponseOf<D["methods"][K]>;
};

/** Declares a request/reply method. */
export function method<Req, Res>(options: MethodOptions = {}): MethodSpec<Req, Res> {
  return { ...options, kind: "call" };
}

/** Declares a fire-and-forget method: confirmed by the broker, no reply. */
export function event<Req>(options: Omit<MethodOptions, "timeoutMs" | "retries" | "validateResponse"> = {}): MethodSpec<Req, void> {
  return { ...options, kind: "event" };
}

/**
 * Declares a streaming method: the handler yields `Item`s, the caller iterates them with flow
 * control (`ferry.stream`). `timeoutMs` is the longest wait for the next item; a stream is never
 * retried, deduplicated or stored, so it takes no `retries`, `idempotent` or `durable`.
 */
export function stream<Req, Item>(options: Omit<MethodOptions, "retries" | "idempotent" | "durable"> = {}): StreamSpec<Req, Item> {
  for (const refused of ["retries", "idempotent", "durable"] as const) {
    if ((options as MethodOptions)[refused] !== undefined) throw new InvalidArgumentError(`stream(): ${refused} has no meaning on a stream (a stream is never retried, deduplicated or stored)`);
  }
  return { ...options, kind: "stream" };
}

const serviceNamePattern = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Builds a service definition, filling each method's service and name. */
export function defineService<const S extends Record<string, MethodSpec<any, any>>>(
  name: string,
  methods: S,
  options: { schemaHash?: string } = {},
): ServiceDefinition<{
  [K in keyof S]: S[K] extends StreamSpec<infer Req, infer Item> ? StreamMethodDefinition<Req, Item> : S[K] extends MethodSpec<infer Req, infer Res> ? MethodDefinition<Req, Res> : never;
}> {
  if (typeof name !== "string" || !serviceNamePattern.test(name)) {
    throw new InvalidArgumentError(`defineService: the service name must be a dotted identifier such as "shop.Orders", got ${describeValue(name)}`);
  }
  if (typeof methods !== "object" || methods === null) throw new InvalidArgumentError(`defineService(${JSON.stringify(name)}): methods must be an object, got ${describeValue(methods)}`);
  const built: Record<string, MethodDefinition<any, any>> = {};
  for (const [methodName, spec] of Object.entries(methods)) {
    if (typeof spec !== "object" || spec === null || (spec.kind !== "call" && spec.kind !== "event" && spec.kind !== "stream")) {
      throw new InvalidArgumentError(`defineService(${JSON.stringify(name)}): method ${methodName} must be made with method(), event() or stream(), got ${describeValue(spec)}`);
    }
    const { types: _types, ...rest } = spec;
    const definition: MethodDefinition<any, any> = { ...rest, service: name, name: methodName };
    built[methodName] = spec.keyPath === undefined ? definition : { ...definition, keyOf: keyReader(spec.keyPath) };
  }
  const definition = { name, methods: built, ...options };
  return definition as unknown as ReturnType<typeof defineService<S>>;
}

/** Compiles a dotted field path into a reader that turns the value into a key string. */
function keyReader(path: string): (request: unknown) => string | undefined {
  const segments = path.split(".");
  return (request) => {
    let value: unknown = request;
    for (const segment of segments) {
      if (typeof value !== "object" || value === null) return undefined;
      value = (value as Record<string, unknown>)[segment];
    }
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
    return undefined;
  };
}
