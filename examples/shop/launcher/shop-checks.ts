import type { Check, ShopReport } from "./shop-report.js";

/** Turns a report into the checks the demo stands for; a step that was skipped (with its reason) checks nothing. */
export function checkShop(report: Omit<ShopReport, "checks" | "ok">): Check[] {
  const checks: Check[] = [];
  const check = (ok: boolean, what: string) => checks.push({ ok, what });

  const placed = [...(report.placeOrders?.placed ?? []), ...(report.lateReply === undefined ? [] : [report.lateReply.orderId])];
  const runs = report.chargeRunsByOrder ?? {};
  check(placed.length === 4, `${placed.length} of 4 orders placed`);
  check(placed.length > 0 && placed.every((orderId) => runs[orderId] === 1), `each placed order charged exactly once: ${placed.map((orderId) => `${orderId} x${runs[orderId] ?? 0}`).join(", ")}`);

  const late = report.lateReply;
  check(late !== undefined && late.replayed + late.joined > 0, `the timed-out charge was retried and answered from the idempotency store (replayed ${late?.replayed ?? 0}, joined ${late?.joined ?? 0})`);

  const reserved = report.placeOrders?.reserved ?? [];
  check(reserved.length === 3, `inventory got OrderEvents.placed for ${reserved.length} of 3 orders`);

  const byOrder = Object.entries(report.orderedUpdates?.appliedByOrder ?? {});
  const inOrder = byOrder.length === 3 && byOrder.every(([, seqs]) => seqs.join() === "1,2,3,4,5");
  check(inOrder, "each order's 5 updates applied in the order sent");
  check(report.orderedUpdates?.interleaved === true, "updates of different orders interleaved");

  const letters = report.poisonMessage?.deadLetters ?? [];
  check(letters.length === 1 && letters[0]!.error.code === "UNAVAILABLE", `${letters.length} dead letter (expected 1), after ${letters[0]?.deliveryCount ?? 0} deliveries`);

  const peak = report.peakShaving;
  if (peak !== undefined && "skipped" in peak) check(true, `backlog step skipped: ${peak.skipped}`);
  else {
    const last = peak?.samples.at(-1);
    // The sampling stops at depth 0; what proves the drain is every order handled.
    check(peak !== undefined && peak.handled === peak.submitted, `a burst of ${peak?.submitted ?? 0} orders drained to depth ${last?.depth ?? "?"}, ${peak?.handled ?? 0} handled`);
  }

  const replay = report.replayDeadLetter;
  if (replay !== undefined && "skipped" in replay) check(true, `replay step skipped: ${replay.skipped}`);
  else {
    check(replay?.counts.replayed === 1 && replay.left === 0, `the dead letter replayed after the fix (${replay?.counts.replayed ?? 0} replayed), ${replay?.left ?? "?"} left`);
    check(replay?.runsAfterFix === 1 && replay.runsByRetry === 0, `the replayed charge ran once (${replay?.runsAfterFix ?? 0}), and the caller's retry was answered from the idempotency store (${replay?.runsByRetry ?? "?"} more runs)`);
  }
  const history = report.exportHistory;
  check(history !== undefined && history.rows === history.ordersHandled, `the history export streamed ${history?.rows ?? 0} rows for ${history?.ordersHandled ?? 0} orders handled`);
  check(
    history !== undefined && history.producedWhileReaderWaited >= 1 && history.producedWhileReaderWaited <= 1 + history.window,
    `a slow reader held the export to its window: ${history?.producedWhileReaderWaited ?? 0} rows produced, window ${history?.window ?? 0}`,
  );
  check(history?.stoppedWhenReaderLeft === true, "leaving an export early stopped the service's generator");

  const clean = report.processes.filter((exit) => exit.code === 0 && !exit.killed);
  check(report.processes.length > 0 && clean.length === report.processes.length, `${clean.length} of ${report.processes.length} processes exited cleanly with code 0`);
  for (const error of report.errors) check(false, error);
  return checks;
}
