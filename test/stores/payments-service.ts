import { defineService, method } from "../../packages/ferry/src/core/definition.js";

/** The service the cross-process idempotency test serves from two processes. */
export const Payments = defineService("Payments", {
  /** Runs for `holdMs` before it answers: longer than the caller's attempt timeout for some. */
  charge: method<{ order: number; holdMs: number }, { order: number }>({ idempotent: true }),
});

/** What a payments server child is told (argv[2], JSON). */
export interface PaymentsServerPlan {
  brokerUrl: string;
  store: "redis" | "postgres";
  redisUrl: string;
  postgresUrl: string;
  /** Redis key prefix, or PostgreSQL schema, of this test. */
  namespace: string;
}
