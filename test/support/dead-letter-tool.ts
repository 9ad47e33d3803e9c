import { expect } from "chai";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import type { Transport } from "../../packages/ferry/src/core/transport.js";
import { Orders, OrdersHandler } from "./dead-letter-fixture.js";
import { startFerry } from "./ferry-process.js";
import { until } from "./wait.js";

/** What the dead-letter tool's tests of one transport share: a runtime serving `Orders`, broken. */
export interface OrdersDeadLetters {
  readonly ferry: Ferry;
  readonly handler: OrdersHandler;
  /** Dead letters `Orders` has now, as the tool lists them. */
  dlqDepth(): Promise<number>;
  /** Emits `count` events, which the broken handler dead-letters, and waits until each is listed. */
  deadLetterEvents(count: number): Promise<void>;
}

/**
 * Per test: a runtime on the transport `connect` makes, serving `Orders` with a broken handler (so
 * each event dead-letters on its first delivery); its dead letters are purged and it is closed
 * after the test.
 */
export function useOrdersDeadLetters(connect: () => Promise<Transport>): OrdersDeadLetters {
  let ferry: Ferry;
  let handler: OrdersHandler;
  /** Keys unique in the file: JetStream drops a publish whose message id (the idempotency key) it saw in the last 2 minutes. */
  let nextKey = 0;
  beforeEach(async () => {
    ferry = new Ferry(await connect());
    await ferry.start();
    handler = new OrdersHandler();
    await handler.serve(ferry);
  });
  afterEach(async () => {
    await ferry.deadLetters(Orders.name).purge().catch(() => undefined);
    await ferry.close();
  });
  const dlqDepth = async (): Promise<number> => (await ferry.deadLetters(Orders.name).list({ limit: 100_000 })).length;
  return {
    get ferry() {
      return ferry;
    },
    get handler() {
      return handler;
    },
    dlqDepth,
    async deadLetterEvents(count) {
      const before = await dlqDepth();
      await Promise.all(Array.from({ length: count }, (_, i) => ferry.emit(Orders.methods.placed, { order: `o-${i}` }, { idempotencyKey: `placed-${nextKey++}` })));
      await until(async () => (await dlqDepth()) === before + count, "dead letters");
    },
  };
}

/** After the fix, a replay runs each of 20 dead letters once and leaves none. */
export async function replayAfterTheFix({ ferry, handler, dlqDepth, deadLetterEvents }: OrdersDeadLetters): Promise<void> {
  await deadLetterEvents(20);
  handler.broken = false;
  const report = await ferry.deadLetters(Orders.name).replay({}, { rate: 10_000 });
  expect(report).to.deep.include({ replayed: 20, skipped: 0, failed: 0 });
  await until(() => handler.runs.size === 20, "the replayed events to run");
  expect([...handler.runs.values()].every((runs) => runs === 1)).to.equal(true);
  expect(await dlqDepth()).to.equal(0);
}

export interface ReplayAcrossSigkill {
  /** The broker `ferry dlq replay --url` talks to. */
  url: string;
  handler: OrdersHandler;
  dlqDepth(): Promise<number>;
  /** Dead letters waiting, all of `Orders.placed`. */
  total: number;
  /** The first replay is killed once this many have run. */
  killAfter: number;
  /** `--rate` of the first replay. */
  rate: number;
  /**
   * Entries the kill may leave listed beyond those not yet run: one whose republish was handled
   * but whose removal the kill cut off (0 where the broker drops that republish by message id).
   */
  slack: number;
}

/**
 * Fixes the handler, replays the `total` dead letters with `ferry dlq replay`, SIGKILLs it once
 * `killAfter` have run, and checks that nothing was lost (handled plus listed make `total`); then
 * replays the rest and checks that each ran exactly once and none is left.
 */
export async function replayAcrossSigkill({ url, handler, dlqDepth, total, killAfter, rate, slack }: ReplayAcrossSigkill): Promise<void> {
  handler.broken = false;
  const args = ["dlq", "replay", "--url", url, "--service", Orders.name];
  const first = startFerry([...args, "--rate", String(rate)]);
  await until(() => handler.completed >= killAfter || first.child.exitCode !== null, "the replay to be under way", 10_000, 60_000);
  first.child.kill("SIGKILL");
  const killed = await first.ended;
  expect(killed.signal, killed.stderr).to.equal("SIGKILL");
  // Killed in the middle: some were replayed, the rest are still dead letters, nothing in between is lost.
  await until(async () => handler.completed + (await dlqDepth()) >= total, "the replays in flight to finish", 10_000, 60_000);
  const left = await dlqDepth();
  expect(left).to.be.greaterThan(0).and.at.most(total - killAfter + slack);

  const second = await startFerry([...args, "--rate", "10000"]).ended;
  expect(second.status, second.stderr).to.equal(0);
  // The entry the kill caught between its confirm and its removal, if any, is replayed twice: the store answers the second.
  expect(second.stdout).to.match(new RegExp(`^replayed ${left}, skipped 0, failed 0$`, "m"));
  await until(() => handler.runs.size === total, "every request to run", 10_000, 60_000);
  expect(await dlqDepth()).to.equal(0);
  expect([...handler.runs].filter(([, runs]) => runs !== 1), "handled more than once").to.deep.equal([]);
}
