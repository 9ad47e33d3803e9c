import { expect } from "chai";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { UnimplementedError } from "../../packages/ferry/src/core/errors.js";
import { deadLetterTopic } from "../../packages/ferry/src/core/topics.js";
import { NatsTransport } from "../../packages/ferry/src/transports/nats/nats-transport.js";
import { Orders, OrdersHandler } from "../support/dead-letter-fixture.js";
import { startFerry } from "../support/ferry-process.js";
import { useNatsServer } from "../support/nats-server.js";
import { rejection, until } from "../support/wait.js";

describe("dead letters as a tool on NATS", function () {
  this.timeout(180_000);
  const natsUrl = useNatsServer();
  let ferry: Ferry;
  let handler: OrdersHandler;

  beforeEach(async () => {
    ferry = new Ferry(await NatsTransport.connect({ url: natsUrl(), mode: "durable" }));
    await ferry.start();
    handler = new OrdersHandler();
    await handler.serve(ferry);
  });
  afterEach(async () => {
    await ferry.deadLetters(Orders.name).purge().catch(() => undefined);
    await ferry.close();
  });

  async function dlqDepth(): Promise<number> {
    return (await ferry.deadLetters(Orders.name).list({ limit: 100_000 })).length;
  }

  /** Keys unique in the file: JetStream drops a publish whose message id (the idempotency key) it saw in the last 2 minutes. */
  let nextKey = 0;

  async function deadLetterEvents(count: number): Promise<void> {
    const before = await dlqDepth();
    await Promise.all(Array.from({ length: count }, (_, i) => ferry.emit(Orders.methods.placed, { order: `o-${i}` }, { idempotencyKey: `placed-${nextKey++}` })));
    await until(async () => (await dlqDepth()) === before + count, "dead letters");
  }

  it("lists, filters, shows and purges a durable topic's dead letters by stream sequence", async () => {
    await deadLetterEvents(3);
    const queue = ferry.deadLetters(Orders.name);
    const entries = await queue.list();
    expect(entries.map((entry) => entry.method)).to.deep.equal(["placed", "placed", "placed"]);
    expect(entries.every((entry) => /^\d+$/.test(entry.id) && entry.deliveryCount === 1 && entry.error.code === "UNAVAILABLE")).to.equal(true);
    expect((await queue.show(entries[1]!.id))?.idempotencyKey).to.equal(entries[1]!.idempotencyKey);
    expect(await queue.list({ method: "charge" })).to.deep.equal([]);
    expect(await queue.purge({ limit: 2 })).to.equal(2);
    expect((await queue.list()).map((entry) => entry.id)).to.deep.equal([entries[2]!.id]);
    expect(await queue.show(entries[0]!.id)).to.equal(undefined);
  });

  it("replays after the fix: each runs once and leaves the dead-letter stream", async () => {
    await deadLetterEvents(20);
    handler.broken = false;
    const report = await ferry.deadLetters(Orders.name).replay({}, { rate: 10_000 });
    expect(report).to.deep.include({ replayed: 20, skipped: 0, failed: 0 });
    await until(() => handler.runs.size === 20, "the replayed events to run");
    expect([...handler.runs.values()].every((runs) => runs === 1)).to.equal(true);
    expect(await dlqDepth()).to.equal(0);
  });

  it("replays 1,000 dead letters across a SIGKILL of `ferry dlq replay`: none lost, none handled twice, none left", async () => {
    const total = 1000;
    await deadLetterEvents(total);
    handler.broken = false;
    const args = ["dlq", "replay", "--url", natsUrl(), "--service", Orders.name];
    const first = startFerry([...args, "--rate", "200"]);
    await until(() => handler.completed >= 300 || first.child.exitCode !== null, "the replay to be under way", 10_000, 60_000);
    first.child.kill("SIGKILL");
    const killed = await first.ended;
    expect(killed.signal, killed.stderr).to.equal("SIGKILL");
    await until(async () => handler.completed + (await dlqDepth()) >= total, "the replays in flight to finish", 10_000, 60_000);
    const left = await dlqDepth();
    expect(left).to.be.greaterThan(0).and.lessThan(total - 299);

    const second = await startFerry([...args, "--rate", "10000"]).ended;
    expect(second.status, second.stderr).to.equal(0);
    expect(second.stdout).to.match(new RegExp(`^replayed ${left}, skipped 0, failed 0$`, "m"));
    await until(() => handler.runs.size === total, "every request to run", 10_000, 60_000);
    expect(await dlqDepth()).to.equal(0);
    expect([...handler.runs].filter(([, runs]) => runs !== 1), "handled more than once").to.deep.equal([]);
  });

  it("says that a core topic's dead letters are not stored", async () => {
    const core = new Ferry(await NatsTransport.connect({ url: natsUrl(), mode: "core" }));
    await core.start();
    await core.serve({ ...Orders, name: "DlqCore" }, handler.implementation);
    const error = await rejection(core.deadLetters("DlqCore").list());
    expect(error).to.be.instanceOf(UnimplementedError);
    expect(error.message).to.include("not stored");
    expect(deadLetterTopic("DlqCore")).to.equal("svc.DlqCore.dlq");
    await core.close();
  });
});
