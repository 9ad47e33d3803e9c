import { defineService, event, method } from "../../index.js";

/** The service as its users see it: a plain interface. */
export interface Calculator {
  add(request: { a: number; b: number }): Promise<{ sum: number }>;
  divide(request: { a: number; b: number }): Promise<{ quotient: number }>;
  /** Charges an account; safe to retry. */
  charge(request: { account: string; cents: number }): Promise<{ receipt: string }>;
  cleared(event: { by: string }): Promise<void>;
}

/** Its runtime definition: what `ferry codegen` emits, written by hand here. */
export const CalculatorDefinition = defineService("Calculator", {
  add: method<{ a: number; b: number }, { sum: number }>(),
  divide: method<{ a: number; b: number }, { quotient: number }>({
    validateRequest: (value) => {
      const request = value as { a?: unknown; b?: unknown };
      const issues = [];
      if (typeof request?.a !== "number") issues.push({ path: "req.a", message: "expected number" });
      if (typeof request?.b !== "number") issues.push({ path: "req.b", message: "expected number" });
      return issues;
    },
  }),
  charge: method<{ account: string; cents: number }, { receipt: string }>({ idempotent: true, retries: 3, timeoutMs: 200 }),
  cleared: event<{ by: string }>(),
});
