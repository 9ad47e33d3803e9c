import { expect } from "chai";
import { connect } from "../../packages/ferry/src/connect.js";
import { defineService, method } from "../../packages/ferry/src/core/definition.js";
import { RabbitMqTransport } from "../../packages/ferry/src/transports/rabbitmq/rabbitmq-transport.js";
import { useRabbitVhost } from "../support/rabbitmq.js";
import { until } from "../support/wait.js";

const Slow = defineService("CloseFlushSlow", {
  wait: method<{ ms: number }, number>(),
});

/**
 * What a transport sends just before it closes still goes out: the replies of the handlers a
 * closing server drained, a stream's `Cancel` from a client closing right after a `break`. With
 * amqplib, frames of a channel still waiting in its buffer were dropped when the connection closed.
 */
describe("rabbitmq close", function () {
  this.timeout(60_000);
  const url = useRabbitVhost();

  it("delivers a reply sent just before close()", async () => {
    const receiver = await RabbitMqTransport.connect({ url: url(), prefix: "flush" });
    try {
      const queue = await receiver.openReplyQueue();
      let received = 0;
      queue.messages.subscribe(() => received++);
      for (let round = 1; round <= 5; round++) {
        const sender = await RabbitMqTransport.connect({ url: url(), prefix: "flush" });
        sender.reply(queue.name, new Uint8Array([round]));
        await sender.close();
        await until(() => received === round, `reply ${round}`);
      }
      expect(received).to.equal(5);
    } finally {
      await receiver.close();
    }
  });

  for (const bundle of [true, false]) {
    it(`a server leaving its group after it drained runs no answered call again on the member left (bundle: ${bundle})`, async () => {
      const runs: string[] = [];
      const handlers = (name: string) => ({
        wait: async ({ ms }: { ms: number }) => {
          runs.push(`${name}:${ms}`);
          await new Promise((resolve) => setTimeout(resolve, ms));
          return ms;
        },
      });
      const leaving = await connect({ url: url(), rabbitmq: { bundle } });
      const staying = await connect({ url: url(), rabbitmq: { bundle } });
      const client = await connect({ url: url(), rabbitmq: { bundle } });
      try {
        await leaving.serve(Slow, handlers("leaving"));
        // One call alone, then two in one turn (a bundle, when bundles are on).
        const calls = [client.call(Slow.methods.wait, { ms: 100 }, { timeoutMs: 10_000 })];
        await until(() => runs.length === 1, "the first call running");
        calls.push(...[200, 300].map((ms) => client.call(Slow.methods.wait, { ms }, { timeoutMs: 10_000 })));
        await until(() => runs.length === 3, "the three calls running");
        await staying.serve(Slow, handlers("staying"));
        await leaving.close();
        expect(await Promise.all(calls)).to.deep.equal([100, 200, 300]);
        // Whatever RabbitMQ would hand back arrives at once: the member left has its channel open.
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(runs.sort()).to.deep.equal(["leaving:100", "leaving:200", "leaving:300"]);
      } finally {
        await client.close();
        await staying.close();
        await leaving.close();
      }
    });
  }

  it("a server closing while its handlers run answers every call they were running", async () => {
    const server = await connect({ url: url() });
    const client = await connect({ url: url() });
    try {
      let started = 0;
      await server.serve(Slow, {
        wait: async ({ ms }: { ms: number }) => {
          started++;
          await new Promise((resolve) => setTimeout(resolve, ms));
          return ms;
        },
      });
      const calls = [100, 200, 300].map((ms) => client.call(Slow.methods.wait, { ms }, { timeoutMs: 10_000 }));
      await until(() => started === 3, "the three calls running");
      // close() drains the handlers, then closes the connection right after their last reply.
      await server.close();
      expect(await Promise.all(calls)).to.deep.equal([100, 200, 300]);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
