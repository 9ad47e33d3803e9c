import type { Shop } from "../launcher/shop.js";

export interface ExportHistoryReport {
  /** Rows the export streamed, and the orders the orders service says it handled. */
  rows: number;
  ordersHandled: number;
  /** The reader's credit window: rows the service may produce ahead of what the reader took. */
  window: number;
  /** Rows the service had produced while the reader held one row and waited. */
  producedWhileReaderWaited: number;
  /** A second export, left after its first row: whether the service's generator stopped (its `finally` ran). */
  stoppedWhenReaderLeft: boolean;
}

const window = 16;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Streams the order history: `OrderHistory.exportOrders` returns `AsyncIterable<OrderRow>`, read
 * with `for await`. The reader first takes one row and stops for a while: the service produces
 * only its window of rows, then waits for credit. Then a second export, with a window of 1 row,
 * is left after its first row, and the service's generator stops before its end.
 */
export async function exportHistory(shop: Shop): Promise<ExportHistoryReport> {
  const ordersHandled = 4 + (await shop.orders.intakeHandled()).handled;
  const before = (await shop.history.exportProgress()).produced;
  let rows = 0;
  let producedWhileReaderWaited = 0;
  for await (const _row of shop.history.exportOrders({ window })) {
    rows++;
    if (rows === 1) {
      // A slow reader: the service could race ahead, but flow control holds it to the window.
      await sleep(300);
      producedWhileReaderWaited = (await shop.history.exportProgress()).produced - before;
      shop.log(`  the reader took 1 row and waited: the service produced ${producedWhileReaderWaited} rows (window ${window}), then waited for credit`);
    }
  }
  shop.log(`  exported ${rows.toLocaleString("en")} rows with for await, for ${ordersHandled.toLocaleString("en")} orders handled`);

  const stoppedBefore = (await shop.history.exportProgress()).stoppedEarly;
  // A window of 1: the service is at most a row ahead, so it is still producing when the reader leaves.
  for await (const _row of shop.history.exportOrders({ window: 1 })) break;
  let stoppedWhenReaderLeft = false;
  for (let poll = 0; poll < 100 && !stoppedWhenReaderLeft; poll++) {
    stoppedWhenReaderLeft = (await shop.history.exportProgress()).stoppedEarly > stoppedBefore;
    if (!stoppedWhenReaderLeft) await sleep(20);
  }
  shop.log(`  a second export, window 1, left with break after its first row: ${stoppedWhenReaderLeft ? "the service's generator stopped and its finally ran" : "the service's generator did not stop"}`);
  return { rows, ordersHandled, window, producedWhileReaderWaited, stoppedWhenReaderLeft };
}
