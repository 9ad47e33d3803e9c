// Runs the shop: a broker, three service processes (orders, inventory, payments) and the
// scenario, narrated one line per event. Returns what happened, for `--json` and the tests.
import { connect, type Ferry } from "../../packages/ferry/src/index.js";
import { startBrokerProcess } from "./launcher/broker-process.js";
import { forkService, stopService, type ServiceName } from "./launcher/service-process.js";
import { openShop, type Shop } from "./launcher/shop.js";
import { checkShop } from "./launcher/shop-checks.js";
import type { ProcessExit, ShopProcess } from "./launcher/shop-process.js";
import type { ShopReport } from "./launcher/shop-report.js";
import { amqpChoice, natsChoice, tcpChoice, type ShopTransport, type TransportChoice } from "./launcher/transport-choice.js";
import { exportHistory } from "./steps/export-history.js";
import { lateReply } from "./steps/late-reply.js";
import { orderedUpdates } from "./steps/ordered-updates.js";
import { peakShaving } from "./steps/peak-shaving.js";
import { placeOrders } from "./steps/place-orders.js";
import { poisonMessage } from "./steps/poison-message.js";
import { fixIssuer, replayDeadLetter } from "./steps/replay-dead-letter.js";

export interface ShopOptions {
  /** Default: a `ferry broker` process on a free loopback port. */
  transport?: ShopTransport;
  /** Orders in the sale's burst. Default 3,000. */
  burst?: number;
  /** Where the narration goes. Default: stdout. */
  log?: (line: string) => void;
}

const serviceNames: readonly ServiceName[] = ["orders", "inventory", "payments"];

/**
 * Starts the broker (on TCP) and the three services, runs every step, stops every process, and
 * returns the report with its checks. Never throws for a failed step: the report says what failed.
 */
export async function runShop(options: ShopOptions = {}): Promise<ShopReport> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const transport = options.transport ?? { kind: "tcp" };
  const report: Omit<ShopReport, "checks" | "ok"> = { transport: transport.kind === "tcp" ? "tcp" : transport.kind === "amqp" ? "rabbitmq" : transport.mode === "core" ? "nats-core" : "nats-durable", processes: [], errors: [] };
  let broker: ShopProcess | undefined;
  const services: ShopProcess[] = [];
  let ferry: Ferry | undefined;
  // Should this process be made to exit mid-run, its children must not outlive it.
  const killLeftovers = () => [broker, ...services].forEach((child) => child?.running && child.child.kill("SIGKILL"));
  process.on("exit", killLeftovers);
  try {
    let choice: TransportChoice;
    if (transport.kind === "tcp") {
      const started = await startBrokerProcess();
      broker = started.process;
      choice = tcpChoice(started.url);
    } else if (transport.kind === "amqp") {
      choice = amqpChoice(transport.url);
    } else {
      choice = natsChoice(transport.url, transport.mode);
    }
    log(`Ferry shop: orders, inventory and payments, each in its own process, talking through ${choice.label}`);
    if (broker !== undefined) log(`started ferry broker at ${choice.brokerUrl} (pid ${broker.child.pid})`);
    const forked = serviceNames.map((name) => forkService(name, choice.connectOptions, log));
    services.push(...forked.map((service) => service.process));
    await Promise.all(forked.map((service) => service.ready));
    log(`started ${services.map((service) => `${service.name} (pid ${service.child.pid})`).join(", ")}`);
    ferry = await connect(choice.connectOptions);
    const shop = openShop(ferry, choice, log);
    const payments = services.find((service) => service.name === "payments")!;
    await runScenario(shop, options.burst ?? 3_000, report, () => fixIssuer(payments.child));
    report.chargeRunsByOrder = (await shop.payments.ledger()).runsByOrder;
  } catch (error) {
    report.errors.push(`the run stopped: ${(error as Error).message}`);
    log(`the run stopped: ${(error as Error).message}`);
  } finally {
    log("Shutting down");
    await ferry?.close();
    report.processes.push(...(await Promise.all(services.map(stopService))));
    if (broker !== undefined) report.processes.push(await broker.stop((child) => child.kill("SIGTERM")));
    log(`  ${report.processes.map(describeExit).join(", ")}`);
    process.off("exit", killLeftovers);
  }
  const checks = checkShop(report);
  return { ...report, checks, ok: checks.every((check) => check.ok) };
}

/** The steps, in order; a step that fails is reported and the next one still runs. */
async function runScenario(shop: Shop, burst: number, report: Omit<ShopReport, "checks" | "ok">, fix: () => Promise<void>): Promise<void> {
  const step = async <T>(title: string, run: () => Promise<T>, keep: (result: T) => void) => {
    shop.log(title);
    try {
      keep(await run());
    } catch (error) {
      report.errors.push(`${title}: ${(error as Error).message}`);
      shop.log(`  failed: ${(error as Error).message}`);
    }
  };
  await step("1. Place three orders; each is announced to inventory by a fire-and-forget event", () => placeOrders(shop), (result) => (report.placeOrders = result));
  await step("2. A late reply: the charge times out, is retried, and runs once", () => lateReply(shop), (result) => (report.lateReply = result));
  await step("3. Ordering by key: updates of one order run in the order sent", () => orderedUpdates(shop), (result) => (report.orderedUpdates = result));
  await step("4. A poison message: redelivered until maxDeliveries, then dead-lettered", () => poisonMessage(shop), (result) => (report.poisonMessage = result));
  await step(`5. Peak shaving: a sale drops ${burst.toLocaleString("en")} orders into the intake queue at once`, () => peakShaving(shop, burst), (result) => (report.peakShaving = result));
  await step("6. The fix, then a replay: step 4's dead letter goes back to payments and is charged once", () => replayDeadLetter(shop, fix), (result) => (report.replayDeadLetter = result));
  await step("7. A stream: the order history exported row by row, the reader setting the pace", () => exportHistory(shop), (result) => (report.exportHistory = result));
}

function describeExit(exit: ProcessExit): string {
  const how = exit.killed ? "killed: it did not stop when asked" : exit.code === null ? `signal ${exit.signal}` : `exit ${exit.code}`;
  return `${exit.name} ${how}`;
}
