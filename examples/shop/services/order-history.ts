// The orders service's history export: a stream of every order it handled. The handler is an
// async generator; Ferry pulls it only as fast as the reader takes rows (its credit window).
import type { Ferry } from "../../../packages/ferry/src/index.js";
import type { OrderRow } from "../contracts/shop-types.js";
import { serveOrderHistory } from "../generated/order-history.handlers.js";
import type { Log } from "./run-service.js";

/** Serves `OrderHistory` over `rows`, the orders service's own log of the orders it handled. */
export async function serveHistoryOf(ferry: Ferry, rows: readonly OrderRow[], log: Log): Promise<void> {
  const progress = { produced: 0, stoppedEarly: 0 };
  await serveOrderHistory(ferry, {
    async *exportOrders() {
      // The rows as they are now: orders handled during the export are in the next one.
      const count = rows.length;
      let produced = 0;
      let finished = false;
      try {
        while (produced < count) {
          progress.produced++;
          yield rows[produced++]!;
        }
        finished = true;
      } finally {
        // Runs however the export ends: done, or stopped because its reader left.
        if (!finished) {
          progress.stoppedEarly++;
          log(`history export stopped after producing ${produced} of ${count} rows: the reader left`);
        }
      }
    },
    exportProgress: () => progress,
  });
}
