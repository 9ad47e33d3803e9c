import { expect } from "chai";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { FerryError } from "../../packages/ferry/src/core/errors.js";
import { RabbitMqTransport } from "../../packages/ferry/src/transports/rabbitmq/rabbitmq-transport.js";
import { Calculator, calculatorImpl } from "../support/services.js";
import { until } from "../support/wait.js";
import { closeConnectionsNamed, useRabbitVhost } from "../support/rabbitmq.js";

describe("rabbitmq connection loss", function () {
  this.timeout(120_000);
  const url = useRabbitVhost();

  it("under load, every call completes or fails with a typed error, and none runs twice", async () => {
    // A name of its own: only this test's connections are closed on the shared server.
    const connectionName = `ferry-loss-${process.pid}`;
    const connect = () => RabbitMqTransport.connect({ url: url(), prefix: "loss", connectionName, reconnectDelayMs: 50 });
    const server = new Ferry(await connect());
    await server.start();
    const client = new Ferry(await connect(), { backoff: { initialMs: 100, jitter: 0 } });
    await client.start();
    try {
      const runs = new Map<number, number>();
      await server.serve(Calculator, {
        ...calculatorImpl,
        add: async ({ a, b }: { a: number; b: number }) => {
          runs.set(a, (runs.get(a) ?? 0) + 1);
          await new Promise((resolve) => setTimeout(resolve, 5));
          return { sum: a + b };
        },
      });
      const calls = 400;
      const outcomes = Array.from({ length: calls }, (_, a) =>
        client.call(Calculator.methods.add, { a, b: 1 }, { timeoutMs: 5_000, retries: 3 }).then(
          (reply) => ({ a, reply }),
          (error: unknown) => ({ a, error }),
        ),
      );
      await until(() => runs.size >= 50, "the load under way");
      expect(closeConnectionsNamed(connectionName)).to.equal(2);
      const settled = await Promise.all(outcomes);
      for (const outcome of settled) {
        if ("error" in outcome) expect(outcome.error, `call ${outcome.a}`).to.be.instanceOf(FerryError);
        else expect(outcome.reply).to.deep.equal({ sum: outcome.a + 1 });
      }
      expect([...runs.entries()].filter(([, count]) => count > 1)).to.deep.equal([]);
      // Both reconnected: a new call goes through.
      expect(await client.call(Calculator.methods.add, { a: 1_000, b: 1 }, { timeoutMs: 10_000, retries: 3 })).to.deep.equal({ sum: 1_001 });
    } finally {
      await client.close();
      await server.close();
    }
  });
});
