import { expect } from "chai";
import { startBroker, type RunningBroker } from "../../packages/ferry/src/broker/server/broker-server.js";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { deadLetterTopic } from "../../packages/ferry/src/core/topics.js";
import { TcpTransport } from "../../packages/ferry/src/transports/tcp/tcp-transport.js";
import { Orders, OrdersHandler } from "../support/dead-letter-fixture.js";
import { replayAcrossSigkill } from "../support/dead-letter-tool.js";
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
    await replayAcrossSigkill({ url: running.url, handler, dlqDepth, total, killAfter: 300, rate: 200, slack: 0 });
    expect(handler.completed).to.equal(total);
  });
});
