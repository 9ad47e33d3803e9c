import { defineService, event } from "../../packages/ferry/src/core/definition.js";

/** The event the outbox tests write: ordered per customer, waiting in the broker for its server. */
export const Shipping = defineService("Shipping", {
  shipped: event<{ order: number; customer: string }>({ keyPath: "customer", durable: true }),
});

/** What an outbox child process is told to do (argv[2], JSON). */
export interface OutboxChildPlan {
  kind: "postgres" | "file";
  /** The broker to relay to; absent: write only, never relay (killed before any relay ran). */
  brokerUrl?: string;
  postgresUrl?: string;
  schema?: string;
  directory?: string;
  /** Orders to send, numbered from `first`, each in a transaction of its own that commits. */
  first: number;
  count: number;
  /** Orders to send in transactions that roll back (postgres only), numbered from -1 down. */
  rolledBack?: number;
}

export const customers = ["ann", "bob", "cyd", "dee", "eve"];
