import type { CallContext } from "../../packages/ferry/src/core/context.js";
import { defineService, event, method } from "../../packages/ferry/src/core/definition.js";
import { UnavailableError } from "../../packages/ferry/src/core/errors.js";
import type { Ferry } from "../../packages/ferry/src/core/ferry.js";
import type { ServeOptions } from "../../packages/ferry/src/core/serve-options.js";

/** A service whose handlers fail (retryably) until it is fixed: every message dead-letters on its first delivery. */
export const Orders = defineService("DlqOrders", {
  /** An event: nobody waits for it, so it is what piles up in a backlog. */
  placed: event<{ order: string }>({ keyPath: "order", idempotent: true }),
  /** An idempotent call: the server runs it once per idempotency key. */
  charge: method<{ cents: number }, { receipt: number }>({ idempotent: true }),
  /** Not idempotent: called without a key, a request of it has no idempotency key. */
  ship: method<{ order: string }, void>(),
});

/** Counts runs per idempotency key; fails with `UNAVAILABLE` while `broken`. */
export class OrdersHandler {
  broken = true;
  readonly runs = new Map<string, number>();
  /** Runs that completed (not failed). */
  completed = 0;
  /** Completed runs of `ship`, which has no idempotency key to count them by. */
  shipped = 0;

  private run(context: CallContext): void {
    if (this.broken) throw new UnavailableError("the payment provider is down");
    this.runs.set(context.idempotencyKey, (this.runs.get(context.idempotencyKey) ?? 0) + 1);
    this.completed++;
  }

  readonly implementation = {
    placed: (_request: { order: string }, context: CallContext): void => this.run(context),
    charge: ({ cents }: { cents: number }, context: CallContext): { receipt: number } => {
      this.run(context);
      return { receipt: cents };
    },
    ship: (_request: { order: string }, context: CallContext): void => {
      this.run(context);
      this.shipped++;
    },
  };

  /** Serves `Orders` on `ferry` with one delivery per message, so a failure dead-letters at once. */
  serve(ferry: Ferry, options: ServeOptions = {}): Promise<unknown> {
    return ferry.serve(Orders, this.implementation, { redeliveryDelayMs: 0, ...options, topic: { maxDeliveries: 1, ...options.topic } });
  }
}
