import { expect } from "chai";
import { startBroker, type RunningBroker } from "../../packages/ferry/src/broker/server/broker-server.js";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { deadLetterTopic } from "../../packages/ferry/src/core/topics.js";
import { TcpTransport } from "../../packages/ferry/src/transports/tcp/tcp-transport.js";
import { Orders, OrdersHandler } from "../support/dead-letter-fixture.js";
import { startFerry } from "../support/ferry-process.js";
import { until } from "../support/wait.js";

describe("dead letters: kill -9 of `ferry dlq replay` (TCP broker)", function () {
  this.timeout(120_000);
  let running: RunningBroker;
  let ferry: Ferry;

  beforeEach(async () => {
    running = await startBroker({ port: 0, log: () => undefined });
    ferry = new Ferry(await TcpTransport.connect({ url: running.url }));
    await ferry.start();
  });
  afterEach(async () => {
    await ferry.close();
    await running.close();
  });

  async function dlqDepth(): Promise<number> {
    const topic = (await ferry.transport.stats()).topics.find((candidate) => candidate.name === deadLetterTopic(Orders.name));
    return topic?.partitions.reduce((sum, partition) => sum + partition.depth, 0) ?? 0;
  }

  it("replays 1,000 dead letters across a SIGKILL mid-replay: none lost, none handled twice, none left", async () => {
    const total = 1000;
    const handler = new OrdersHandler();
    await handler.serve(ferry);
    await Promise.all(Array.from({ length: total }, (_, i) => ferry.emit(Orders.methods.placed, { order: `o-${i}` }, { idempotencyKey: `placed-${i}` })));
    await until(async () => (await dlqDepth()) === total, "1,000 dead letters");
    handler.broken = false;

    const args = ["dlq", "replay", "--url", running.url, "--service", Orders.name];
    const first = startFerry([...args, "--rate", "200"]);
    await until(() => handler.completed >= 300 || first.child.exitCode !== null, "the replay to be under way");
    first.child.kill("SIGKILL");
    const killed = await first.ended;
    expect(killed.signal, killed.stderr).to.equal("SIGKILL");
    // Killed in the middle: some were replayed, the rest are still dead letters, nothing in between is lost.
    await until(async () => handler.completed + (await dlqDepth()) >= total, "the replays in flight to finish");
    const left = await dlqDepth();
    expect(left).to.be.greaterThan(0).and.lessThan(total - 299);

    const second = await startFerry([...args, "--rate", "10000"]).ended;
    expect(second.status, second.stderr).to.equal(0);
    const counts = /^replayed (\d+), skipped 0, failed 0$/m.exec(second.stdout);
    expect(counts, second.stdout).to.not.equal(null);
    // The entry the kill caught between its confirm and its removal, if any, is replayed twice: the store answers the second.
    expect(Number(counts![1])).to.equal(left);

    await until(() => handler.runs.size === total, "every request to run");
    expect(await dlqDepth()).to.equal(0);
    const twice = [...handler.runs].filter(([, runs]) => runs !== 1);
    expect(twice, "handled more than once").to.deep.equal([]);
    expect(handler.completed).to.equal(total);
  });
});
