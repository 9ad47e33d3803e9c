import { expect } from "chai";
import { startBroker, type RunningBroker } from "../../packages/ferry/src/broker/server/broker-server.js";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { deadLetterTopic } from "../../packages/ferry/src/core/topics.js";
import { TcpTransport } from "../../packages/ferry/src/transports/tcp/tcp-transport.js";
import { Orders, OrdersHandler } from "../support/dead-letter-fixture.js";
import { startFerry, type FerryRun } from "../support/ferry-process.js";
import { until } from "../support/wait.js";

describe("ferry dlq against a running TCP broker", function () {
  this.timeout(60_000);
  let running: RunningBroker;
  let ferry: Ferry;
  let handler: OrdersHandler;

  before(async () => {
    running = await startBroker({ port: 0, log: () => undefined });
    ferry = new Ferry(await TcpTransport.connect({ url: running.url }));
    await ferry.start();
    handler = new OrdersHandler();
    await handler.serve(ferry);
    for (let i = 0; i < 3; i++) {
      await ferry.emit(Orders.methods.placed, { order: `o-${i}` }, { idempotencyKey: `placed-${i}` });
      await until(async () => (await ferry.deadLetters(Orders.name).list()).length === i + 1, "a dead letter");
    }
  });
  after(async () => {
    await ferry.close();
    await running.close();
  });

  const dlq = (...args: string[]): Promise<FerryRun> => startFerry(["dlq", ...args, "--url", running.url]).ended;

  /** A usage error: exit 2, the reason, then the usage line. */
  function expectUsage(run: FerryRun, reason: string): void {
    expect(run.status, run.stderr).to.equal(2);
    expect(run.stderr).to.include(`ferry dlq: ${reason}`);
    expect(run.stderr).to.include("usage: ferry dlq list|show <id>|replay|purge [options]");
  }

  it("lists each entry: id, time, origin, method, key, deliveries, error and request", async () => {
    const run = await dlq("list", "--service", Orders.name);
    expect(run.status, run.stderr).to.equal(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).to.match(/^0:0 {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}svc\.DlqOrders {2}placed {2}key o-0 {2}deliveries 1$/);
    expect(lines[1]).to.equal("  error: UNAVAILABLE: the payment provider is down");
    expect(lines[2]).to.match(/^ {2}call \S+ {2}idempotency key placed-0$/);
    expect(lines[3]).to.equal('  request: {"order":"o-0"}');
    expect(lines).to.have.length(12);
  });

  it("prints JSON, without the request under --no-body, and filters", async () => {
    const all = JSON.parse((await dlq("list", "--service", Orders.name, "--json", "--since", "1h")).stdout) as Record<string, unknown>[];
    expect(all.map((entry) => entry.id)).to.deep.equal(["0:0", "0:1", "0:2"]);
    expect(all[1]).to.deep.include({ method: "placed", key: "o-1", deliveryCount: 1, request: { order: "o-1" }, error: { code: "UNAVAILABLE", message: "the payment provider is down" } });
    expect(all[1]!.origin).to.deep.include({ topic: "svc.DlqOrders" });
    expect(all[1]).to.not.have.property("bytes");
    const bare = JSON.parse((await dlq("list", "--service", Orders.name, "--json", "--no-body", "--limit", "1")).stdout) as Record<string, unknown>[];
    expect(bare).to.have.length(1);
    expect(bare[0]).to.not.have.property("request");
    expect((await dlq("list", "--service", Orders.name, "--method", "charge")).stdout).to.equal("no dead letters\n");
    expect((await dlq("list", "--service", Orders.name, "--error", "ACK_TIMEOUT", "--json")).stdout.trim()).to.equal("[]");
  });

  it("shows one entry, and exits 1 for an id that is not there", async () => {
    const shown = await dlq("show", "0:2", "--service", Orders.name, "--json");
    expect(shown.status, shown.stderr).to.equal(0);
    expect(JSON.parse(shown.stdout)).to.deep.include({ id: "0:2", request: { order: "o-2" } });
    const missing = await dlq("show", "0:77", "--service", Orders.name);
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.equal(`ferry dlq: no entry 0:77 in ${deadLetterTopic(Orders.name)} (replayed or purged?)\n`);
  });

  it("refuses bad input with a usage error naming it", async () => {
    expectUsage(await dlq("list", "--service", "DlqOrdres"), "the broker has no service DlqOrdres: it has DlqOrders");
    expectUsage(await dlq("list", "--service", Orders.name, "--since", "yesterday"), '--since must be a date and time (2026-11-30T10:00:00Z) or a duration ago (90s, 15m, 2h, 7d), got "yesterday"');
    expectUsage(await dlq("replay", "--service", Orders.name, "--rate", "0"), '--rate must be a positive number of entries per second, got "0"');
    expectUsage(await dlq("replay", "--service", Orders.name, "--rate", "fast"), '--rate must be a positive number of entries per second, got "fast"');
    expectUsage(await dlq("list", "--service", Orders.name, "--limit", "-3"), '--limit must be a positive integer, got "-3"');
    expectUsage(await dlq("list"), "--service is required");
    expectUsage(await dlq("drop", "--service", Orders.name), 'the action must be one of list, show, replay, purge, got "drop"');
    expectUsage(await dlq("show", "--service", Orders.name), "show takes the id of one entry");
    // Nothing was touched by any of them.
    expect(await ferry.deadLetters(Orders.name).list()).to.have.length(3);
  });

  it("purges what the filter matches, then replays the rest after the fix", async () => {
    const purged = await dlq("purge", "--service", Orders.name, "--limit", "1");
    expect(purged.stdout).to.equal("purged 1\n");
    handler.broken = false;
    const replayed = await dlq("replay", "--service", Orders.name, "--rate", "1000");
    expect(replayed.status, replayed.stderr).to.equal(0);
    expect(replayed.stdout).to.equal("replayed 2, skipped 0, failed 0\n");
    await until(() => handler.completed === 2, "the replayed events");
    expect([...handler.runs.keys()].sort()).to.deep.equal(["placed-1", "placed-2"]);
    expect(await ferry.deadLetters(Orders.name).list()).to.deep.equal([]);
  });
});
