import { expect } from "chai";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { RabbitMqTransport } from "../../packages/ferry/src/transports/rabbitmq/rabbitmq-transport.js";
import { Spool } from "../support/services.js";
import { until } from "../support/wait.js";
import { rabbitmqctl, useRabbitVhost } from "../support/rabbitmq.js";

/** Restarts the machine's RabbitMQ application; it is running again when this returns, or throws. */
function restartRabbit(): void {
  try {
    rabbitmqctl("stop_app");
  } finally {
    // Whatever happened, the shared server is left running.
    rabbitmqctl("start_app");
    rabbitmqctl("await_startup");
  }
}

describe("rabbitmq durability", function () {
  this.timeout(180_000);
  const url = useRabbitVhost();

  it("keeps durable calls made with no server running through a RabbitMQ restart, and handles each exactly once", async () => {
    const calls = 50;
    const client = new Ferry(await RabbitMqTransport.connect({ url: url(), prefix: "dur" }));
    await client.start();
    const answers: Promise<number>[] = [];
    try {
      for (let n = 0; n < calls; n++) answers.push(client.call(Spool.methods.put, { n }, { timeoutMs: 120_000 }));
      const probe = await RabbitMqTransport.connect({ url: url(), prefix: "dur", statsTopics: ["svc.Spool"] });
      // The calls of one turn travel as one persistent message, a bundle (see durable-bundles.test.ts).
      await until(async () => ((await probe.stats()).topics[0]?.partitions.reduce((sum, p) => sum + p.depth, 0) ?? 0) === 1, "every call stored, as one bundle");
      await probe.close();
      // The client's connection drops with the restart; the calls are in RabbitMQ's quorum queues.
      // `rabbitmqctl` blocks the event loop, so the client learns of the drop only after the restart:
      // until it has reconnected (its reply queue declared again), a reply to it would be dropped.
      const states: string[] = [];
      const watch = client.transport.state$.subscribe((state) => states.push(state));
      restartRabbit();
      await until(() => states.includes("reconnecting") && states.at(-1) === "connected", "the client reconnected", 10_000, 60_000);
      watch.unsubscribe();
      const server = new Ferry(await RabbitMqTransport.connect({ url: url(), prefix: "dur" }));
      await server.start();
      const runs = new Map<number, number>();
      await server.serve(Spool, { put: ({ n }: { n: number }) => (runs.set(n, (runs.get(n) ?? 0) + 1), n + 1) });
      try {
        expect(await Promise.all(answers)).to.deep.equal(Array.from({ length: calls }, (_, n) => n + 1));
        expect(runs.size).to.equal(calls);
        expect([...runs.values()].every((count) => count === 1)).to.equal(true);
      } finally {
        await server.close();
      }
    } finally {
      await client.close();
    }
  });
});
