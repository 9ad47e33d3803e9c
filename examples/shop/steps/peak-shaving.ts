import { serviceTopic } from "../../../packages/ferry/src/index.js";
import { ferryStatsProbe, runtimeStatsProbe, type BacklogProbe } from "../launcher/backlog-probe.js";
import type { Shop } from "../launcher/shop.js";
import { waitFor } from "../launcher/wait-for.js";

export type PeakShavingReport =
  | { skipped: string }
  | {
      submitted: number;
      /** Intake orders the orders service handled during this step. */
      handled: number;
      /** Backlog readings, from the first after the burst to the one that found the queue empty. */
      samples: { afterMs: number; depth: number; inFlight: number }[];
    };

const topic = serviceTopic("OrderIntake");
const sampleEveryMs = 200;

/**
 * A sale: the storefront drops a burst of orders into `OrderIntake` far faster than the orders
 * service handles them. The queue absorbs the peak; the backlog drains at the service's pace.
 */
export async function peakShaving(shop: Shop, burst: number): Promise<PeakShavingReport> {
  if (shop.choice.noBacklog !== undefined) {
    shop.log(`  skipped: ${shop.choice.noBacklog}`);
    return { skipped: shop.choice.noBacklog };
  }
  const probe: BacklogProbe = shop.choice.brokerUrl === undefined ? runtimeStatsProbe(shop.ferry, topic, shop.choice.connectOptions.rabbitmq === undefined ? "JetStream" : "RabbitMQ") : ferryStatsProbe(shop.choice.brokerUrl, topic);
  const handledBefore = (await shop.orders.intakeHandled()).handled;
  const startedAt = Date.now();
  await Promise.all(Array.from({ length: burst }, (_, index) => shop.intake.submit({ orderId: `sale-${index + 1}`, totalCents: 1_999 })));
  shop.log(`  the storefront published ${burst.toLocaleString("en")} orders in ${Date.now() - startedAt} ms, each confirmed by the broker`);
  const samples: { afterMs: number; depth: number; inFlight: number }[] = [];
  for (;;) {
    const { depth, inFlight } = await probe.sample();
    const afterMs = Date.now() - startedAt;
    samples.push({ afterMs, depth, inFlight });
    shop.log(`  +${(afterMs / 1000).toFixed(1)} s  ${probe.source}: ${topic} depth ${depth.toLocaleString("en")}, in flight ${inFlight}`);
    if (depth === 0) break;
    if (afterMs > 60_000) throw new Error(`${topic} still holds ${depth} messages after a minute`);
    await new Promise((resolve) => setTimeout(resolve, sampleEveryMs));
  }
  const handled = async () => (await shop.orders.intakeHandled()).handled - handledBefore;
  await waitFor("the orders service to count every intake order", async () => (await handled()) >= burst);
  const report = { submitted: burst, handled: await handled(), samples };
  shop.log(`  drained: the orders service handled all ${report.handled.toLocaleString("en")} orders, at its own pace`);
  return report;
}
