import { expect } from "chai";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { connect } from "../../packages/ferry/src/connect.js";
import type { BrokerStats } from "../../packages/ferry/src/core/transport.js";
import { cliPath } from "../codegen/support.js";
import { Calculator, calculatorImpl } from "../support/services.js";
import { useRabbitVhost } from "../support/rabbitmq.js";

const run = promisify(execFile);

describe("rabbitmq stats", function () {
  this.timeout(60_000);
  const url = useRabbitVhost();

  it("ferry stats --topics reports each topic's depth and consumers from a passive declare of its queues", async () => {
    const server = await connect({ url: url() });
    const producer = await connect({ url: url() });
    try {
      await server.serve(Calculator, calculatorImpl);
      await server.serve(Calculator, calculatorImpl, { group: "second" });
      // Three events to a topic nobody serves: they wait in its unkeyed queue.
      for (let i = 0; i < 3; i++) await producer.transport.publish("svc.Idle", new Uint8Array([i]));
      const { stdout } = await run(process.execPath, [cliPath, "stats", "--url", url(), "--topics", "svc.Calculator,svc.Idle,svc.Never", "--json"]);
      const stats = JSON.parse(stdout) as BrokerStats;
      expect(stats.topics.map((topic) => topic.name)).to.deep.equal(["svc.Calculator", "svc.Idle"]);
      const [calculator, idle] = stats.topics;
      expect(calculator!.groups[0]!.consumers).to.equal(2);
      expect(idle!.groups[0]!.consumers).to.equal(0);
      expect(idle!.partitions.map((partition) => partition.depth)).to.deep.equal([0, 0, 0, 0, 0, 0, 0, 0, 3]);
    } finally {
      await producer.close();
      await server.close();
    }
  });

  it("ferry stats with an amqp:// url and no --topics says why it needs them, exit 2", async () => {
    const failed = await run(process.execPath, [cliPath, "stats", "--url", url()]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).to.equal(2);
    expect(failed?.stderr).to.include("--topics is required with an amqp:// url");
  });
});
