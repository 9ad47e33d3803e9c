import { expect } from "chai";
import type { ShopReport } from "../../examples/shop/launcher/shop-report.js";
import { useRabbitVhost } from "../support/rabbitmq.js";
import { useNatsServer } from "../support/nats-server.js";
import { runExample, type ExampleRun } from "./run-example.js";

/** The report `--json` prints as the last line. */
function reportOf(run: ExampleRun): ShopReport {
  const last = run.stdout.trimEnd().split("\n").at(-1) ?? "";
  return JSON.parse(last) as ShopReport;
}

/** What the demo must show whatever the transport; `expectBacklog` is false where the transport keeps no depth. */
function expectTheShopWorked(run: ExampleRun, processes: string[]): ShopReport {
  expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(0);
  const report = reportOf(run);
  expect(report.errors).to.deep.equal([]);
  expect(report.checks.filter((check) => !check.ok)).to.deep.equal([]);
  expect(report.ok).to.equal(true);

  // Every order placed, its charge executed exactly once, o-1004's despite the retry.
  expect(report.placeOrders?.placed).to.deep.equal(["o-1001", "o-1002", "o-1003"]);
  expect(report.lateReply?.orderId).to.equal("o-1004");
  expect(report.chargeRunsByOrder).to.include({ "o-1001": 1, "o-1002": 1, "o-1003": 1, "o-1004": 1 });
  expect(report.lateReply!.chargeRuns).to.equal(1);
  expect(report.lateReply!.replayed + report.lateReply!.joined).to.be.at.least(1);

  // The fire-and-forget event reached inventory for every order.
  expect(report.placeOrders?.reserved).to.have.members(["o-1001", "o-1002", "o-1003"]);

  // Each order's updates in the order sent; orders not waiting on each other.
  expect(report.orderedUpdates?.appliedByOrder).to.deep.equal({ "o-1001": [1, 2, 3, 4, 5], "o-1002": [1, 2, 3, 4, 5], "o-1003": [1, 2, 3, 4, 5] });
  expect(report.orderedUpdates?.interleaved).to.equal(true);

  // One dead letter: the poison charge, after the payments topic's 3 deliveries.
  const letters = report.poisonMessage?.deadLetters ?? [];
  expect(letters).to.have.length(1);
  expect(letters[0]).to.deep.include({ service: "Payments", method: "charge", deliveryCount: 3, error: { code: "UNAVAILABLE", message: "card issuer unreachable" } });
  expect(letters[0]!.request).to.deep.include({ orderId: "o-1099" });
  expect(report.poisonMessage?.callerError).to.equal("UNAVAILABLE");

  // The history export streamed every order handled; a slow reader held the service to its window,
  // and a reader that left stopped the service's generator.
  const history = report.exportHistory!;
  expect(history.rows).to.equal(history.ordersHandled);
  expect(history.producedWhileReaderWaited).to.be.within(1, history.window + 1);
  expect(history.stoppedWhenReaderLeft).to.equal(true);

  // Every process the launcher started exited by itself, with code 0.
  expect(report.processes.map((exit) => exit.name)).to.have.members(processes);
  for (const exit of report.processes) expect(exit, exit.name).to.deep.include({ code: 0, killed: false });
  return report;
}

/** Step 6: after the fix, the dead letter is replayed and charged once; the caller's retry is answered from the store. */
function expectDeadLetterReplayed(report: ShopReport): void {
  const replay = report.replayDeadLetter;
  if (replay === undefined || "skipped" in replay) throw new Error(`the replay step did not run: ${JSON.stringify(replay)}`);
  expect(replay).to.deep.equal({ counts: { replayed: 1, skipped: 0, failed: 0 }, runsAfterFix: 1, left: 0, retryReceipt: "rcpt-o-1099", runsByRetry: 0 });
}

function expectBacklogDrained(report: ShopReport, burst: number): void {
  const peak = report.peakShaving;
  if (peak === undefined || "skipped" in peak) throw new Error(`the backlog step did not run: ${JSON.stringify(peak)}`);
  expect(peak.submitted).to.equal(burst);
  expect(peak.handled).to.equal(burst);
  expect(peak.samples.at(-1)?.depth).to.equal(0);
}

describe("examples/shop", function () {
  // One run starts a broker and three service processes and drains a burst of orders: a few
  // seconds alone, several times that on a shared 2-core machine. No assertion is on speed.
  this.timeout(90_000);
  const burst = 1_000;

  it("runs over the TCP broker: orders charged once, updates in order, the event, one dead letter, the backlog drained, the dead letter replayed after the fix", async () => {
    const run = await runExample("examples/shop/main.js", ["--burst", String(burst), "--json"]);
    const report = expectTheShopWorked(run, ["orders", "inventory", "payments", "broker"]);
    expect(report.transport).to.equal("tcp");
    expectBacklogDrained(report, burst);
    expectDeadLetterReplayed(report);
    expect(run.stdout).to.include("ferry stats: svc.OrderIntake depth 0");
  });

  describe("on NATS", () => {
    const natsUrl = useNatsServer();

    it("runs in durable mode (JetStream) with the same results, dead letters and backlog included", async () => {
      const run = await runExample("examples/shop/main.js", ["--nats", natsUrl(), "--burst", String(burst), "--json"]);
      const report = expectTheShopWorked(run, ["orders", "inventory", "payments"]);
      expect(report.transport).to.equal("nats-durable");
      expectBacklogDrained(report, burst);
      expectDeadLetterReplayed(report);
    });

    it("runs in core mode, and says why it skips the backlog step", async () => {
      const run = await runExample("examples/shop/main.js", ["--nats", natsUrl(), "--nats-mode", "core", "--json"]);
      const report = expectTheShopWorked(run, ["orders", "inventory", "payments"]);
      expect(report.transport).to.equal("nats-core");
      expect(report.peakShaving).to.have.property("skipped").that.includes("core NATS stores nothing");
      expect(run.stdout).to.include("skipped: core NATS stores nothing");
      expect(report.replayDeadLetter).to.have.property("skipped").that.includes("core NATS stores no dead letter");
    });
  });

  describe("on RabbitMQ", () => {
    const rabbitUrl = useRabbitVhost();

    it("runs with --amqp with the same results: the backlog drained, the dead letter replayed after the fix", async () => {
      const run = await runExample("examples/shop/main.js", ["--amqp", rabbitUrl(), "--burst", String(burst), "--json"]);
      const report = expectTheShopWorked(run, ["orders", "inventory", "payments"]);
      expect(report.transport).to.equal("rabbitmq");
      expectBacklogDrained(report, burst);
      expectDeadLetterReplayed(report);
    });
  });
});
