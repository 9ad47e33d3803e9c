import { expect } from "chai";
import { NoRespondersError } from "../../packages/ferry/src/core/errors.js";
import type { Delivery } from "../../packages/ferry/src/core/transport.js";
import { rejection, until } from "../support/wait.js";
import { rabbitmqctl, useRabbitTransports, useRabbitVhost } from "../support/rabbitmq.js";

describe("rabbitmq consumer groups", function () {
  this.timeout(60_000);
  const url = useRabbitVhost();
  const { transport, track } = useRabbitTransports(url);
  /** The queues of the suite's vhost whose name starts with `prefix/`, with their depth. */
  const queues = (prefix: string): Map<string, number> => {
    const vhost = new URL(url()).pathname.slice(1);
    const lines = rabbitmqctl("list_queues", "-p", vhost, "--no-table-headers", "--silent", "name", "messages").split("\n");
    const found = new Map<string, number>();
    for (const line of lines) {
      const [name, messages] = line.trim().split(/\s+/);
      if (name !== undefined && name.startsWith(`${prefix}/`)) found.set(name, Number(messages));
    }
    return found;
  };
  const collect = (into: number[]) => (delivery: Delivery) => {
    into.push(delivery.bytes[0]!);
    delivery.ack();
  };

  it("gives each group its own copy of every message, while members of one group share them", async () => {
    const a1 = await transport("g1");
    const a2 = await transport("g1");
    const b = await transport("g1");
    const producer = await transport("g1");
    const inA1: number[] = [];
    const inA2: number[] = [];
    const inB: number[] = [];
    await a1.consume("topic", "a", collect(inA1));
    await a2.consume("topic", "a", collect(inA2));
    await b.consume("topic", "b", collect(inB));
    for (let value = 0; value < 20; value++) await producer.publish("topic", new Uint8Array([value]), { requireConsumer: true });
    await until(() => inA1.length + inA2.length === 20 && inB.length === 20, "20 messages in each group");
    expect([...inA1, ...inA2].sort((x, y) => x - y)).to.deep.equal([...Array(20).keys()]);
    expect(inB).to.deep.equal([...Array(20).keys()]);
  });

  it("deletes a group's queues, and what they held, when its last member leaves; the next request then fails NO_RESPONDERS", async () => {
    const server = await transport("g2");
    const producer = await transport("g2");
    const held: Delivery[] = [];
    const subscription = await server.consume("topic", "leaving", (delivery) => void held.push(delivery), { prefetch: 1 });
    for (let value = 0; value < 5; value++) await producer.publish("topic", new Uint8Array([value]), { requireConsumer: true });
    await until(() => held.length === 1, "the first delivery");
    expect([...queues("g2").keys()].filter((name) => name.includes("/=leaving/"))).to.have.length(9);
    await subscription.unsubscribe();
    await until(() => [...queues("g2").keys()].every((name) => !name.includes("/=leaving/")), "the group's queues deleted");
    const error = await rejection(producer.publish("topic", new Uint8Array([9]), { requireConsumer: true }));
    expect(error).to.be.instanceOf(NoRespondersError);
  });

  it("bounds each group's queues with the topic's maxLength, dropping the oldest for drop-oldest", async () => {
    const server = await transport("g3");
    const producer = await transport("g3");
    await server.declareTopic("bounded", { maxLength: 2, overflow: "drop-oldest" });
    const received: number[] = [];
    let open = false;
    const waiting: Delivery[] = [];
    // One slot, held by the first message, so the rest wait in the group's queue.
    await server.consume("bounded", "slow", (delivery) => (open ? collect(received)(delivery) : waiting.push(delivery)), { prefetch: 1 });
    for (let value = 0; value < 6; value++) await producer.publish("bounded", new Uint8Array([value]), { requireConsumer: true });
    // Each publish is confirmed once its queue took it: the first is held by the member, x-max-length applied to the rest.
    await until(() => waiting.length === 1, "the first held");
    open = true;
    waiting[0]!.ack();
    await until(() => received.length === 2, "the two kept");
    expect([waiting[0]!.bytes[0], ...received]).to.deep.equal([0, 4, 5]);
  });

  it("refuses a group whose queue names would pass RabbitMQ's 255 bytes with INVALID_ARGUMENT", async () => {
    const server = await transport("g4");
    const error = await rejection(server.consume("topic", "x".repeat(300), () => undefined));
    expect((error as { code?: string }).code).to.equal("INVALID_ARGUMENT");
    expect(error.message).to.include("consumer group");
  });
});
