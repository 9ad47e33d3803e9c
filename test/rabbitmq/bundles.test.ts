import { expect } from "chai";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { InvalidArgumentError } from "../../packages/ferry/src/core/errors.js";
import type { Delivery } from "../../packages/ferry/src/core/transport.js";
import { readDeadLetter } from "../../packages/ferry/src/index.js";
import { loadAmqplib, type AmqpChannel, type AmqpMessage } from "../../packages/ferry/src/transports/rabbitmq/amqp-api.js";
import { decodeBundle } from "../../packages/ferry/src/transports/rabbitmq/bundle-codec.js";
import { QueueLayout } from "../../packages/ferry/src/transports/rabbitmq/queue-layout.js";
import { RabbitMqTransport } from "../../packages/ferry/src/transports/rabbitmq/rabbitmq-transport.js";
import { fakeClock } from "../support/fake-clock.js";
import { closeConnectionsNamed, rabbitmqctl, useRabbitTransports, useRabbitVhost } from "../support/rabbitmq.js";
import { Calculator, calculatorImpl } from "../support/services.js";
import { rejection, until } from "../support/wait.js";

const bundleHeader = "x-ferry-bundle";

describe("rabbitmq bundles", function () {
  this.timeout(60_000);
  const url = useRabbitVhost();
  const { transport, track } = useRabbitTransports(url);
  const rawChannel = async (): Promise<AmqpChannel> => {
    const connection = await (await loadAmqplib()).connect(url());
    track(connection);
    return connection.createChannel();
  };
  /**
   * A queue of the test's own bound to `topic`'s exchange for the lane of `key` (default: the
   * unkeyed one): like a group's queue, it gets a copy of every message RabbitMQ carries there, so
   * the test sees what travels.
   */
  const tap = async (prefix: string, topic: string, key?: string): Promise<AmqpMessage[]> => {
    const channel = await rawChannel();
    const { queue } = await channel.assertQueue("", { exclusive: true });
    const layout = new QueueLayout(prefix, 8);
    await channel.bindQueue(queue, layout.exchange(topic), layout.routingKey(key));
    const messages: AmqpMessage[] = [];
    await channel.consume(queue, (message) => message !== null && messages.push(message), { noAck: true });
    return messages;
  };
  /** Messages RabbitMQ delivered and holds unacknowledged in the queues whose name starts with `start`. */
  const unacknowledged = (start: string): number => {
    const vhost = new URL(url()).pathname.slice(1);
    const lines = rabbitmqctl("list_queues", "-p", vhost, "--no-table-headers", "--silent", "name", "messages_unacknowledged").split("\n");
    return lines.map((line) => line.trim().split(/\s+/)).reduce((sum, [name, count]) => sum + (name?.startsWith(start) === true ? Number(count) : 0), 0);
  };
  /** Messages ready in queue `name`, or undefined when it does not exist. */
  const ready = (name: string): number | undefined => {
    const vhost = new URL(url()).pathname.slice(1);
    const lines = rabbitmqctl("list_queues", "-p", vhost, "--no-table-headers", "--silent", "name", "messages_ready").split("\n");
    const line = lines.map((entry) => entry.trim().split(/\s+/)).find(([queue]) => queue === name);
    return line === undefined ? undefined : Number(line[1]);
  };
  const itemsIn = (messages: AmqpMessage[]) => messages.reduce((sum, message) => sum + Number(message.properties.headers?.[bundleHeader] ?? 1), 0);
  const expired = async (member: RabbitMqTransport, topic: string) =>
    (await member.stats()).topics.find((stats) => stats.name === topic)!.groups[0]!.partitions.reduce((sum, partition) => sum + partition.expired, 0);

  it("carries a burst of calls made in one turn as one message, and each caller gets its own reply", async () => {
    const server = new Ferry(await transport("b1"));
    const client = new Ferry(await transport("b1"));
    track(server);
    track(client);
    await server.start();
    await client.start();
    await server.serve(Calculator, calculatorImpl);
    const seen = await tap("b1", "svc.Calculator");
    expect(await client.call(Calculator.methods.add, { a: 0, b: 1 })).to.deep.equal({ sum: 1 });
    await until(() => seen.length === 1, "the lone call's copy");
    expect(seen[0]!.properties.headers?.[bundleHeader]).to.equal(undefined);
    const sums = await Promise.all(Array.from({ length: 20 }, (_, i) => client.call(Calculator.methods.add, { a: i, b: 100 })));
    expect(sums.map((reply) => reply.sum)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 100));
    await until(() => itemsIn(seen) === 21, "the burst's copy");
    expect(seen).to.have.length(2);
    expect(seen[1]!.properties.headers?.[bundleHeader]).to.equal(20);
  });

  it("holds at most 128 calls per bundle; a publish past 128 KiB goes alone, after what came before it", async () => {
    const member = await transport("b9");
    const producer = await transport("b9");
    const got: number[] = [];
    await member.consume("bounds", "g", (delivery) => {
      got.push(delivery.bytes.length === 200 * 1024 ? -1 : delivery.bytes[0]!);
      delivery.ack();
    });
    const seen = await tap("b9", "bounds");
    const sends = Array.from({ length: 130 }, (_, i) => producer.publish("bounds", new Uint8Array([i])));
    sends.push(producer.publish("bounds", new Uint8Array(200 * 1024)), producer.publish("bounds", new Uint8Array([255])));
    await Promise.all(sends);
    await until(() => got.length === 132 && seen.length === 4, "every publish");
    expect(seen.map((message) => message.properties.headers?.[bundleHeader])).to.deep.equal([128, 2, undefined, undefined]);
    expect(seen[2]!.content.length).to.equal(200 * 1024);
    expect(got).to.deep.equal([...Array.from({ length: 130 }, (_, i) => i), -1, 255]);
  });

  it("sends the replies of one turn to one queue as one message, which a reply queue splits in order", async () => {
    const server = await transport("b2");
    const client = await transport("b2");
    const channel = await rawChannel();
    const { queue } = await channel.assertQueue("", { exclusive: true });
    const raw: AmqpMessage[] = [];
    await channel.consume(queue, (message) => message !== null && raw.push(message), { noAck: true });
    for (let i = 0; i < 5; i++) server.reply(queue, new Uint8Array([i]));
    await until(() => raw.length === 1, "the bundle of replies");
    expect(raw[0]!.properties.headers?.[bundleHeader]).to.equal(5);
    expect(decodeBundle(raw[0]!.content, 5).map((item) => [...item.bytes])).to.deep.equal([[0], [1], [2], [3], [4]]);

    const replies = await client.openReplyQueue();
    const received: number[] = [];
    replies.messages.subscribe((bytes) => received.push(bytes[0]!));
    for (let i = 0; i < 5; i++) server.reply(replies.name, new Uint8Array([i]));
    await until(() => received.length === 5, "the split replies");
    expect(received).to.deep.equal([0, 1, 2, 3, 4]);

    // One that cannot be split reaches the client whole (which counts it as a malformed reply).
    channel.publish("", replies.name, Buffer.from([7, 7]), { headers: { [bundleHeader]: 2 } });
    await until(() => received.length === 6, "the unsplittable bundle");
    expect(received[5]).to.equal(7);
    // A returned bundle counts each of its replies as dropped.
    for (let i = 0; i < 3; i++) server.reply("b2/no-such-queue", new Uint8Array([i]));
    await until(async () => (await server.stats()).repliesDropped === 3, "three replies dropped");
  });

  it("keeps each key's order within a bundle and across bundles", async () => {
    const member = await transport("b3");
    const producer = await transport("b3");
    const handled = new Map<string, number[]>();
    await member.consume("ordered", "g", (delivery) => {
      const [seq] = delivery.bytes;
      handled.set(delivery.key!, [...(handled.get(delivery.key!) ?? []), seq!]);
      // Uneven handler times, so a later call of a key would overtake an earlier one if let.
      setTimeout(() => delivery.ack(), (seq! * 7) % 5);
    });
    for (let round = 0; round < 4; round++) {
      await Promise.all(Array.from({ length: 30 }, (_, i) => producer.publish("ordered", new Uint8Array([round * 30 + i]), { key: `key-${i % 3}` })));
    }
    await until(() => [...handled.values()].reduce((sum, list) => sum + list.length, 0) === 120, "every call handled");
    for (let k = 0; k < 3; k++) {
      expect(handled.get(`key-${k}`)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i * 3 + k));
    }
  });

  it("drops an item of a bundle past its own deadline, counted, and hands over the others; the bundle lives until its latest deadline", async () => {
    const now = Date.now();
    // The member's clock is 50 s ahead: an item due in 10 s is past its deadline there.
    const member = await transport("b4", { clock: fakeClock(now + 50_000) });
    const producer = await transport("b4");
    const got: number[] = [];
    await member.consume("deadlines", "g", (delivery) => {
      got.push(delivery.bytes[0]!);
      delivery.ack();
    });
    const seen = await tap("b4", "deadlines");
    await Promise.all([
      producer.publish("deadlines", new Uint8Array([1]), { expiresAt: now + 10_000 }),
      producer.publish("deadlines", new Uint8Array([2]), { expiresAt: now + 100_000 }),
      producer.publish("deadlines", new Uint8Array([3])),
    ]);
    await until(async () => got.length === 2 && (await expired(member, "deadlines")) === 1, "two handled, one expired");
    expect(got).to.deep.equal([2, 3]);
    expect(seen).to.have.length(1);
    expect(seen[0]!.properties.headers?.[bundleHeader]).to.equal(3);
    expect(seen[0]!.properties.expiration).to.equal(undefined);

    await Promise.all([
      producer.publish("deadlines", new Uint8Array([4]), { expiresAt: Date.now() + 100_000 }),
      producer.publish("deadlines", new Uint8Array([5]), { expiresAt: Date.now() + 200_000 }),
    ]);
    await until(() => seen.length === 2, "the second bundle");
    expect(Number(seen[1]!.properties.expiration)).to.be.within(100_001, 200_000);
  });

  it("dead-letters an item nacked to its delivery limit alone, with its own bytes and key, while the rest of its bundle succeeds", async () => {
    const member = await transport("b5");
    const producer = await transport("b5");
    await member.declareTopic("flaky", { maxDeliveries: 2 });
    const acked: number[] = [];
    const tries: number[] = [];
    await member.consume("flaky", "g", (delivery) => {
      if (delivery.bytes[0] !== 2) {
        acked.push(delivery.bytes[0]!);
        return delivery.ack();
      }
      tries.push(delivery.deliveryCount);
      delivery.nack({ delayMs: 0 });
    });
    const dead: Delivery[] = [];
    await producer.consume("flaky.dlq", "inspector", (delivery) => void dead.push(delivery));
    const seen = await tap("b5", "flaky", "k");
    await Promise.all([1, 2, 3].map((value) => producer.publish("flaky", new Uint8Array([value]), { key: "k" })));
    await until(() => dead.length === 1 && acked.length === 2, "the dead letter and the two others");
    expect(seen.map((message) => message.properties.headers?.[bundleHeader])).to.deep.equal([3]);
    expect(acked).to.deep.equal([1, 3]);
    expect(tries).to.deep.equal([1, 2]);
    const letter = readDeadLetter(dead[0]!.bytes);
    expect([...letter.bytes]).to.deep.equal([2]);
    expect(letter.deliveryCount).to.equal(2);
    expect(letter.key).to.equal("k");
    expect(letter.origin.topic).to.equal("flaky");
    // Every item settled: RabbitMQ holds nothing unacknowledged for the group.
    await until(() => unacknowledged("b5/flaky/") === 0, "the bundle acked", 0);
  });

  it("writes again a dead letter RabbitMQ did not take, holding that call and its key, and never runs the finished calls of its bundle again", async () => {
    const member = await transport("b9");
    const producer = await transport("b9");
    await member.declareTopic("nodlq", { maxDeliveries: 2 });
    const runs: number[] = [];
    await member.consume("nodlq", "g", (delivery) => {
      runs.push(delivery.bytes[0]!);
      if (delivery.bytes[0] === 2 || delivery.bytes[0] === 9) delivery.nack({ delayMs: 0 });
      else delivery.ack();
    });
    const raw = await rawChannel();
    const deadLetterQueue = new QueueLayout("b9", 8).deadLetterQueue("nodlq");
    // A first dead letter makes the member declare the dead-letter queue (once per connection)...
    await producer.publish("nodlq", new Uint8Array([9]));
    await until(() => ready(deadLetterQueue) === 1, "the first dead letter stored", 0);
    // ... then the queue goes: the dead letter of call 2 comes back, unroutable.
    await raw.deleteQueue(deadLetterQueue);
    runs.length = 0;
    await Promise.all([1, 2, 3].map((value) => producer.publish("nodlq", new Uint8Array([value]), { key: "k" })));
    await until(() => runs.length === 3, "call 1, and call 2 to its limit");
    // A few retries later nothing ran again, call 3 still waits behind call 2 (its key), and the
    // bundle is still held.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(runs).to.deep.equal([1, 2, 2]);
    expect(unacknowledged("b9/nodlq/")).to.equal(1);
    // The queue is back: the next retry stores the dead letter, and the bundle is acked.
    await raw.assertQueue(deadLetterQueue, { durable: true });
    await until(() => ready(deadLetterQueue) === 1, "the dead letter stored", 0, 10_000);
    const stored = await raw.get(deadLetterQueue, { noAck: true });
    expect(stored !== false && [...readDeadLetter(stored.content).bytes]).to.deep.equal([2]);
    await until(() => unacknowledged("b9/nodlq/") === 0, "the bundle acked", 0);
    expect(runs).to.deep.equal([1, 2, 2, 3]);
  });

  it("dead-letters a bundle it cannot split whole, MALFORMED_MESSAGE, and goes on with the next message", async () => {
    const member = await transport("b6");
    const producer = await transport("b6");
    const got: number[] = [];
    await member.consume("broken", "g", (delivery) => {
      got.push(delivery.bytes[0]!);
      delivery.ack();
    });
    const dead: Delivery[] = [];
    await member.consume("broken.dlq", "inspector", (delivery) => void dead.push(delivery));
    const channel = await rawChannel();
    // Says three items; holds one flags byte and half a length.
    channel.publish(new QueueLayout("b6", 8).exchange("broken"), "any", Buffer.from([0, 0, 0]), { headers: { [bundleHeader]: 3 } });
    await until(() => dead.length === 1, "the dead letter");
    await producer.publish("broken", new Uint8Array([9]));
    await until(() => got.length === 1, "the next message");
    expect(got).to.deep.equal([9]);
    const letter = readDeadLetter(dead[0]!.bytes);
    expect(letter.error.code).to.equal("MALFORMED_MESSAGE");
    expect(letter.error.message).to.include("bundle item 1 of 3 is cut short");
    expect([...letter.bytes]).to.deep.equal([0, 0, 0]);
  });

  it("fails every call of a returned bundle NO_RESPONDERS when no group is bound", async () => {
    const producer = await transport("b7");
    await producer.declareTopic("nobody", {});
    const errors = await Promise.all(Array.from({ length: 4 }, (_, i) => rejection(producer.publish("nobody", new Uint8Array([i]), { requireConsumer: true }))));
    expect(errors.map((error) => error.code)).to.deep.equal(Array(4).fill("NO_RESPONDERS"));
  });

  it("fails every call of a bundle UNAVAILABLE when the connection drops before RabbitMQ confirmed it", async () => {
    const producer = await transport("b10", { connectionName: "ferry-bundle-test-drop" });
    await producer.declareTopic("dropped", {});
    const sends = Array.from({ length: 5 }, (_, i) => rejection(producer.publish("dropped", new Uint8Array([i]))));
    // Synchronous: the bundle is still waiting for the end of this turn when RabbitMQ closes the connection.
    expect(closeConnectionsNamed("ferry-bundle-test-drop")).to.equal(1);
    const errors = await Promise.all(sends);
    expect(errors.map((error) => error.code)).to.deep.equal(Array(5).fill("UNAVAILABLE"));
  });

  it("with bundle: false sends one message per publish; a bundle option that is not a boolean is refused", async () => {
    const member = await transport("b8", { bundle: false });
    const producer = await transport("b8", { bundle: false });
    const got: number[] = [];
    await member.consume("plain", "g", (delivery) => {
      got.push(delivery.bytes[0]!);
      delivery.ack();
    });
    const seen = await tap("b8", "plain");
    await Promise.all(Array.from({ length: 10 }, (_, i) => producer.publish("plain", new Uint8Array([i]))));
    await until(() => got.length === 10 && seen.length === 10, "ten messages");
    expect(seen.map((message) => message.properties.headers?.[bundleHeader])).to.deep.equal(Array(10).fill(undefined));
    const refused = await rejection(RabbitMqTransport.connect({ url: url(), bundle: "yes" as unknown as boolean }));
    expect(refused).to.be.instanceOf(InvalidArgumentError);
    expect(refused.message).to.include("bundle must be true or false");
  });
});
