import { defineService, event, method } from "../../packages/ferry/src/core/definition.js";
import { FerryError } from "../../packages/ferry/src/core/errors.js";

/** Services the conformance suite serves: hand-written definitions of the shape codegen emits. */
export interface AddRequest {
  a: number;
  b: number;
}

export const Calculator = defineService("Calculator", {
  add: method<AddRequest, { sum: number }>(),
  echo: method<unknown, unknown>(),
  /** Idempotent: the server runs it once per key. */
  charge: method<{ account: string; cents: number }, { receipt: number }>({ idempotent: true }),
  slow: method<{ id: string }, string>(),
  fail: method<{ code?: string; retryable?: boolean }, never>(),
  note: event<{ text: string }>(),
});

export const Ledger = defineService("Ledger", {
  append: method<{ account: string; seq: number }, { ok: true }>({ keyPath: "account" }),
});

/** A durable service: its calls wait in the broker for a server, declared topic or not. */
export const Spool = defineService("Spool", {
  put: method<{ n: number }, number>({ durable: true }),
});

export const Outer = defineService("Outer", {
  relay: method<{ value: number }, { innerDeadline: number; outerDeadline: number }>(),
});

export const Inner = defineService("Inner", {
  deadline: method<{ value: number }, number>(),
});

/** A plain implementation of every Calculator method; tests replace the methods they study. */
export const calculatorImpl = {
  add: ({ a, b }: AddRequest) => ({ sum: a + b }),
  echo: (value: unknown) => value,
  charge: () => ({ receipt: 1 }),
  slow: () => "slow",
  /** Throws a FerryError with `code` (and `retryable`), or a plain Error without one. */
  fail: ({ code, retryable }: { code?: string; retryable?: boolean }): never => {
    throw code === undefined ? new Error("plain failure") : new FerryError(code, `failed with ${code}`, { retryable: retryable ?? false, data: { why: "test" } });
  },
  note: () => undefined,
};
