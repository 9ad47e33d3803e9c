// The orders process: places orders (charging them through Payments, then announcing them to
// whoever listens), applies order updates one at a time per order, and works through the intake
// queue at its own pace.
import type { Ferry } from "../../../packages/ferry/src/index.js";
import type { AppliedUpdate, OrderRow, OrderUpdate, PlacedOrder, PlaceOrder } from "../contracts/shop-types.js";
import { OrderEventsClient } from "../generated/order-events.client.js";
import { serveOrderIntake } from "../generated/order-intake.handlers.js";
import { serveOrders, type OrdersHandlers } from "../generated/orders.handlers.js";
import { PaymentsClient } from "../generated/payments.client.js";
import { serveHistoryOf } from "./order-history.js";
import { runService, type Log } from "./run-service.js";

/** Intake orders handled at once: the queue absorbs whatever arrives faster. */
const intakeConcurrency = 4;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class OrderDesk implements OrdersHandlers {
  private readonly applied: AppliedUpdate[] = [];
  /** Every order handled, in order: what `OrderHistory.exportOrders` streams. */
  readonly history: OrderRow[] = [];
  intakeCount = 0;

  constructor(
    private readonly payments: PaymentsClient,
    private readonly events: OrderEventsClient,
    private readonly log: Log,
  ) {}

  async place({ orderId, items, totalCents, card }: PlaceOrder): Promise<PlacedOrder> {
    // The key is the order, not the call: however often anyone retries, an order is charged once.
    const { receipt } = await this.payments.charge({ orderId, cents: totalCents, card }, { idempotencyKey: `charge:${orderId}` });
    await this.events.placed({ orderId, items });
    this.log(`${orderId}: paid (${receipt}), OrderEvents.placed emitted`);
    this.history.push({ orderId, totalCents, source: "storefront" });
    return { orderId, status: "paid", receipt };
  }

  async update({ orderId, seq }: OrderUpdate): Promise<AppliedUpdate> {
    // Each update of an order is quicker than the one before it: were they not run one at a
    // time in the order sent, later updates would overtake earlier ones.
    await sleep(Math.max(1, 30 - 5 * seq));
    const applied = { orderId, seq };
    this.applied.push(applied);
    return applied;
  }

  updatesApplied(): AppliedUpdate[] {
    return this.applied;
  }

  intakeHandled(): { handled: number } {
    return { handled: this.intakeCount };
  }
}

await runService(async (ferry: Ferry, log) => {
  const desk = new OrderDesk(new PaymentsClient(ferry), new OrderEventsClient(ferry), log);
  await serveOrders(ferry, desk);
  await serveOrderIntake(
    ferry,
    {
      submit: async ({ orderId, totalCents }) => {
        await sleep(2); // booking the order somewhere slower than the queue
        desk.intakeCount++;
        desk.history.push({ orderId, totalCents, source: "intake" });
      },
    },
    { concurrency: intakeConcurrency },
  );
  await serveHistoryOf(ferry, desk.history, log);
});
