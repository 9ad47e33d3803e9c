import type { MethodDefinition } from "./definition.js";
import { describeValue } from "./describe-value.js";
import { InvalidArgumentError } from "./errors.js";

/*
 * Checks of what a caller passed to `call` and `emit`. TypeScript rules out most wrong shapes,
 * but plain JavaScript and casts do not, and a wrong shape must fail naming what is wrong rather
 * than travel as a call to `svc.undefined`.
 */

/** Whether `value` has the shape of a method definition (`Orders.methods.place`). */
export function isMethodDefinition(value: unknown): value is MethodDefinition {
  if (typeof value !== "object" || value === null) return false;
  const method = value as Partial<Record<keyof MethodDefinition, unknown>>;
  return typeof method.service === "string" && typeof method.name === "string" && (method.kind === "call" || method.kind === "event" || method.kind === "stream");
}

/** Throws `InvalidArgumentError` unless `method` is a method definition; `use` names the API in the message. */
export function checkMethod(method: unknown, use: string): asserts method is MethodDefinition {
  if (!isMethodDefinition(method)) {
    throw new InvalidArgumentError(`${use}: expected a method definition (such as Orders.methods.place), got ${describeTarget(method)}`);
  }
}

/**
 * Throws `InvalidArgumentError` unless `options` is absent or an object whose `key`,
 * `idempotencyKey` and `signal` are of their types: those would otherwise fail deep inside, as a
 * `TypeError` from hashing, encoding or an event listener.
 */
export function checkOptions(options: unknown, use: string): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`${use}: options must be an object, got ${describeValue(options)}`);
  }
  const { key, idempotencyKey, signal } = options as Record<string, unknown>;
  if (key !== undefined && typeof key !== "string") throw new InvalidArgumentError(`${use}: options.key must be a string, got ${describeValue(key)}`);
  if (idempotencyKey !== undefined && typeof idempotencyKey !== "string") {
    throw new InvalidArgumentError(`${use}: options.idempotencyKey must be a string, got ${describeValue(idempotencyKey)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidArgumentError(`${use}: options.signal must be an AbortSignal, got ${describeValue(signal)}`);
}

/**
 * Why `ferry.call(target, ...rest)` matches neither of its forms, `call(method, request,
 * options?)` and `call(service, method, request, options?)`: said in terms of what was passed.
 */
export function wrongCallArguments(target: unknown, rest: readonly unknown[]): InvalidArgumentError {
  if (typeof target === "string") {
    if (target === "") return new InvalidArgumentError('ferry.call: the service name is empty (call("Orders", "place", request))');
    return new InvalidArgumentError(`ferry.call("${target}", method, request): the method name must be a non-empty string, got ${describeValue(rest[0])}`);
  }
  const service = serviceDefinition(target);
  if (service === undefined) {
    return new InvalidArgumentError(
      `ferry.call: the first argument must be a method definition (such as Orders.methods.place) or a service name, got ${describeTarget(target)}`,
    );
  }
  const methods = Object.keys(service.methods);
  const listed = methods.length === 0 ? "it has no methods" : `its methods are ${methods.join(", ")}`;
  const name = rest[0];
  if (typeof name === "string" && Object.hasOwn(service.methods, name)) {
    return new InvalidArgumentError(
      `ferry.call: got the service definition ${service.name} and the method name "${name}"; pass the method's definition: ferry.call(${service.name}.methods.${name}, request)`,
    );
  }
  if (typeof name === "string") return new InvalidArgumentError(`ferry.call: ${service.name} has no method "${name}"; ${listed}`);
  return new InvalidArgumentError(`ferry.call: got the service definition ${service.name}; pass one of its methods (${service.name}.methods.<name>): ${listed}`);
}

function serviceDefinition(value: unknown): { name: string; methods: Record<string, unknown> } | undefined {
  const service = value as { name?: unknown; methods?: unknown } | null;
  if (typeof service !== "object" || service === null || typeof service.name !== "string") return undefined;
  if (typeof service.methods !== "object" || service.methods === null) return undefined;
  return service as { name: string; methods: Record<string, unknown> };
}

function describeTarget(value: unknown): string {
  const service = serviceDefinition(value);
  return service === undefined ? describeValue(value) : `the service definition ${service.name}`;
}
