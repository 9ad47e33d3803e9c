// The Ferry service every Ferry system serves: `add`, with a validator of the shape codegen
// emits so that validation is part of the measured cost, as it is in an application.
import { defineService, method, type ValidationIssue } from "../packages/ferry/src/index.js";
import type { AddReply, AddRequest } from "./payload.js";

export function validateAdd(value: unknown): readonly ValidationIssue[] {
  const request = value as Partial<AddRequest> | null;
  if (typeof request !== "object" || request === null) return [{ path: "req", message: "expected object" }];
  const issues: ValidationIssue[] = [];
  if (typeof request.a !== "number") issues.push({ path: "req.a", message: "expected number" });
  if (typeof request.b !== "number") issues.push({ path: "req.b", message: "expected number" });
  if (typeof request.note !== "string") issues.push({ path: "req.note", message: "expected string" });
  return issues;
}

/**
 * `durable` makes `add` a durable method: on the TCP broker with `--data` its topic is kept on
 * disk and confirmed after fsync; on NATS it goes through a JetStream stream. A durable method
 * also queues while no server runs, which the backlog measurement relies on.
 */
export function benchService(durable: boolean) {
  return defineService(durable ? "BenchDurable" : "Bench", {
    add: method<AddRequest, AddReply>({ validateRequest: validateAdd, durable }),
  });
}
