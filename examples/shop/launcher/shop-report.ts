import type { ExportHistoryReport } from "../steps/export-history.js";
import type { LateReplyReport } from "../steps/late-reply.js";
import type { OrderedUpdatesReport } from "../steps/ordered-updates.js";
import type { PeakShavingReport } from "../steps/peak-shaving.js";
import type { PlaceOrdersReport } from "../steps/place-orders.js";
import type { PoisonMessageReport } from "../steps/poison-message.js";
import type { ReplayDeadLetterReport } from "../steps/replay-dead-letter.js";
import type { ProcessExit } from "./shop-process.js";

/** What a run of the shop did, step by step: what `--json` prints and what the tests check. */
export interface ShopReport {
  transport: "tcp" | "nats-durable" | "nats-core" | "rabbitmq";
  placeOrders?: PlaceOrdersReport;
  lateReply?: LateReplyReport;
  orderedUpdates?: OrderedUpdatesReport;
  poisonMessage?: PoisonMessageReport;
  peakShaving?: PeakShavingReport;
  replayDeadLetter?: ReplayDeadLetterReport;
  exportHistory?: ExportHistoryReport;
  /** How many times payments ran each order's charge, read at the end of the run. */
  chargeRunsByOrder?: Record<string, number>;
  /** Every process the launcher started, and how it ended. */
  processes: ProcessExit[];
  /** Errors that stopped a step or the run. */
  errors: string[];
  checks: Check[];
  ok: boolean;
}

/** One thing the run was meant to show, and whether it did. */
export interface Check {
  ok: boolean;
  what: string;
}
