// What every benchmark measures: the peers' request (msgpack of {a, b, note}, 100 bytes) and a
// service that adds a and b.
import { encodeValue } from "../core/codec.js";
import { defineService, method } from "../core/definition.js";
import type { ValidationIssue } from "../core/definition.js";

export interface AddRequest {
  a: number;
  b: number;
  note: string;
}

/** The note that pads the request to exactly 100 bytes of msgpack, as in shared/bench-peers. */
export const note = (() => {
  const base = "the quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnopqrstuvwxyz";
  for (let n = 0; n < base.length; n++) if (encodeValue({ a: 0.25, b: 1.5, note: base.slice(0, n) }).length === 100) return base.slice(0, n);
  throw new Error("cannot pad the payload to 100 bytes");
})();

/** A hand-written validator of the shape codegen emits, so validation is part of the cost. */
export function validateAdd(value: unknown): readonly ValidationIssue[] {
  const request = value as Partial<AddRequest> | null;
  if (typeof request !== "object" || request === null) return [{ path: "req", message: "expected object" }];
  const issues: ValidationIssue[] = [];
  if (typeof request.a !== "number") issues.push({ path: "req.a", message: "expected number" });
  if (typeof request.b !== "number") issues.push({ path: "req.b", message: "expected number" });
  if (typeof request.note !== "string") issues.push({ path: "req.note", message: "expected string" });
  return issues;
}

export function benchService(options: { validate: boolean; durable: boolean }) {
  return defineService(options.durable ? "BenchDurable" : "Bench", {
    add: method<AddRequest, { sum: number }>({ ...(options.validate ? { validateRequest: validateAdd } : {}), durable: options.durable }),
  });
}

export const addHandler = { add: ({ a, b }: AddRequest) => ({ sum: a + b }) };
