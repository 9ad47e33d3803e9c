import { expect } from "chai";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import type { Delivery } from "../../packages/ferry/src/core/transport.js";
import { encodeDeadLetter } from "../../packages/ferry/src/core/wire/dead-letter.js";
import { readDeadLetter } from "../../packages/ferry/src/index.js";
import { loadAmqplib } from "../../packages/ferry/src/transports/rabbitmq/amqp-api.js";
import { QueueLayout } from "../../packages/ferry/src/transports/rabbitmq/queue-layout.js";
import { RabbitMqTransport } from "../../packages/ferry/src/transports/rabbitmq/rabbitmq-transport.js";
import { useRabbitTransports, useRabbitVhost } from "../support/rabbitmq.js";
import { Spool } from "../support/services.js";
import { until } from "../support/wait.js";

const bundleHeader = "x-ferry-bundle";
const spoolTopic = "svc.Spool";

describe("rabbitmq durable bundles", function () {
  this.timeout(60_000);
  const url = useRabbitVhost();
  const rabbit = useRabbitTransports(url);
  const { track } = rabbit;
  const transport = (prefix: string) => rabbit.transport(prefix, { statsTopics: [spoolTopic] });
  const runtime = async (prefix: string) => {
    const ferry = new Ferry(await transport(prefix));
    await ferry.start();
    track(ferry);
    return ferry;
  };
  /** Messages waiting in the topic's queues (a bundle is one). */
  const depth = async (probe: RabbitMqTransport) => (await probe.stats()).topics.find((topic) => topic.name === spoolTopic)?.partitions.reduce((sum, partition) => sum + partition.depth, 0) ?? 0;
  /** Makes `count` durable calls in one turn with no server running; they stay pending (their rejections, at close, are ignored). */
  const burst = (client: Ferry, count: number): Promise<number>[] =>
    Array.from({ length: count }, (_, n) => {
      const answer = client.call(Spool.methods.put, { n }, { timeoutMs: 55_000 });
      answer.catch(() => undefined);
      return answer;
    });

  it("carries a burst of durable calls as one persistent message, and each caller gets its own reply from a server that comes later", async () => {
    const client = await runtime("db1");
    const answers = burst(client, 20);
    const probe = await transport("db1");
    await until(async () => (await depth(probe)) === 1, "the burst stored as one message");
    // Look at it without taking it: a raw channel takes it unacknowledged and hands it back.
    const connection = await (await loadAmqplib()).connect(url());
    track(connection);
    const channel = await connection.createChannel();
    const message = await channel.get(new QueueLayout("db1", 8).unkeyed(spoolTopic, "durable"), { noAck: false });
    expect(message).to.not.equal(false);
    if (message === false) return;
    expect(message.properties.headers?.[bundleHeader]).to.equal(20);
    expect((message.properties as { deliveryMode?: number }).deliveryMode, "persistent").to.equal(2);
    channel.nack(message, false, true);
    await channel.close();

    const server = await runtime("db1");
    const runs = new Map<number, number>();
    await server.serve(Spool, { put: ({ n }: { n: number }) => (runs.set(n, (runs.get(n) ?? 0) + 1), n + 1) });
    expect(await Promise.all(answers)).to.deep.equal(Array.from({ length: 20 }, (_, n) => n + 1));
    expect([...runs.values()]).to.deep.equal(Array.from({ length: 20 }, () => 1));
  });

  /**
   * Three durable calls in one turn (one bundle) to a topic whose delivery limit is 1; two members
   * in turn take the bundle's calls and leave without settling them (a crash loop), so RabbitMQ
   * counts each return and dead-letters the bundle itself.
   */
  const bundleDeadLetteredByRabbitMq = async (prefix: string) => {
    const producer = await transport(prefix);
    await producer.declareTopic(spoolTopic, { durable: true, maxDeliveries: 1 });
    const client = await runtime(prefix);
    burst(client, 3);
    await until(async () => (await depth(producer)) === 1, "the burst stored as one message");
    for (let round = 0; round < 2; round++) {
      const member = await RabbitMqTransport.connect({ url: url(), prefix });
      const held: Delivery[] = [];
      await member.consume(spoolTopic, "crashing", (delivery) => void held.push(delivery));
      await until(() => held.length === 3, `delivery ${round + 1} of the bundle's calls`);
      await member.close();
    }
    return client;
  };

  it("lists a durable bundle RabbitMQ dead-lettered as one dead letter per call, each with its own request; replays one alone, purges the rest", async () => {
    const ferry = await bundleDeadLetteredByRabbitMq("db2");
    const queue = ferry.deadLetters(Spool.name);
    await until(async () => (await queue.list()).length === 3, "the bundle's calls listed");
    const entries = await queue.list();
    expect(entries.map((entry) => entry.request)).to.deep.equal([{ n: 0 }, { n: 1 }, { n: 2 }]);
    const digest = entries[0]!.id.split("/")[0]!;
    expect(digest).to.match(/^r[0-9a-f]{32}$/);
    expect(entries.map((entry) => entry.id)).to.deep.equal([0, 1, 2].map((index) => `${digest}/${index}`));
    expect(entries.every((entry) => entry.method === "put" && entry.error.code === "CONSUMER_LEFT" && entry.origin.topic === spoolTopic)).to.equal(true);
    expect(entries[1]!.error.message).to.contain("the bundle of 3 calls this one was in: delivery_limit");
    // Ids are stable across reads.
    expect((await queue.list()).map((entry) => entry.id)).to.deep.equal(entries.map((entry) => entry.id));
    // A page may end inside a bundle, and the next one starts after it.
    const first = await ferry.transport.browse!("svc.Spool.dlq", { limit: 2 });
    expect(first.messages.map((message) => message.id)).to.deep.equal([`${digest}/0`, `${digest}/1`]);
    expect(first.next).to.equal(`${digest}/1`);
    const second = await ferry.transport.browse!("svc.Spool.dlq", { limit: 2, after: first.next! });
    expect(second.messages.map((message) => message.id)).to.deep.equal([`${digest}/2`]);
    expect(second.next).to.equal(undefined);
    expect(readDeadLetter(second.messages[0]!.bytes).request).to.deep.equal({ n: 2 });

    const runs: number[] = [];
    await ferry.serve(Spool, { put: ({ n }: { n: number }) => (runs.push(n), n + 1) });
    expect(await queue.replay({ limit: 1 }, { rate: 10_000 })).to.deep.include({ replayed: 1, skipped: 0, failed: 0 });
    await until(() => runs.length === 1, "the replayed call to run");
    expect(runs).to.deep.equal([0]);
    // The bundle's other calls are dead letters of their own now, under the same ids.
    const left = await queue.list();
    expect(left.map((entry) => entry.id)).to.deep.equal([`${digest}/1`, `${digest}/2`]);
    expect(left.map((entry) => entry.request)).to.deep.equal([{ n: 1 }, { n: 2 }]);
    expect(await queue.purge()).to.equal(2);
    expect(await queue.list()).to.deep.equal([]);
    expect(await ferry.transport.browse!("svc.Spool.dlq", { limit: 10 })).to.deep.equal({ messages: [], next: undefined });
  });

  it("does not skip what lies past a bundle when a page ended inside it and the bundle was split since", async () => {
    const ferry = await bundleDeadLetteredByRabbitMq("db4");
    const dlq = "svc.Spool.dlq";
    await until(async () => (await ferry.transport.browse!(dlq, { limit: 10 })).messages.length === 3, "the bundle's calls listed");
    // A dead letter behind the bundle, as a member writes one.
    const connection = await (await loadAmqplib()).connect(url());
    track(connection);
    const channel = await connection.createChannel();
    const lone = "00000000-0000-4000-8000-000000000001";
    channel.publish("", new QueueLayout("db4", 8).deadLetterQueue(spoolTopic), Buffer.from(encodeDeadLetter({ origin: { topic: spoolTopic, partition: 8, offset: 0 }, key: undefined, deliveryCount: 1, error: { code: "UNAVAILABLE", message: "down" }, deadLetteredAt: 0, bytes: new Uint8Array([7]) })), {
      persistent: true,
      headers: { "x-ferry-dead-letter": 1, "x-ferry-dead-letter-id": lone },
    });
    await until(async () => (await ferry.transport.browse!(dlq, { limit: 10 })).messages.length === 4, "the member's dead letter");
    const first = await ferry.transport.browse!(dlq, { limit: 2 });
    const [call0, call1] = first.messages.map((message) => message.id);
    // Removing the bundle's first call moves its other two behind the member's dead letter.
    expect(await ferry.transport.remove!(dlq, [call0!])).to.equal(1);
    const ids: string[] = [];
    let after = first.next;
    while (after !== undefined) {
      const page = await ferry.transport.browse!(dlq, { limit: 2, after });
      ids.push(...page.messages.map((message) => message.id));
      after = page.next;
    }
    // The moved call1 is not taken for the place the first page ended: reading starts at the head again.
    expect(ids).to.deep.equal([lone, call1, call1!.replace(/1$/, "2")]);
  });

  it("removes every call of a dead-lettered bundle at once, and hands a reader of the dead-letter topic one delivery per call", async () => {
    const ferry = await bundleDeadLetteredByRabbitMq("db3");
    const inspector = await transport("db3");
    const dead: Delivery[] = [];
    await inspector.consume("svc.Spool.dlq", "inspector", (delivery) => void dead.push(delivery));
    await until(() => dead.length === 3, "a delivery per call");
    expect(dead.map((delivery) => readDeadLetter(delivery.bytes).request)).to.deep.equal([{ n: 0 }, { n: 1 }, { n: 2 }]);
    // Unsettled, the bundle stays; once every call of it is, it goes.
    dead[0]!.ack();
    dead[1]!.ack();
    await inspector.close();
    const ids = (await ferry.transport.browse!("svc.Spool.dlq", { limit: 10 })).messages.map((message) => message.id);
    expect(ids).to.have.length(3);
    expect(await ferry.transport.remove!("svc.Spool.dlq", ids)).to.equal(3);
    expect(await ferry.transport.browse!("svc.Spool.dlq", { limit: 10 })).to.deep.equal({ messages: [], next: undefined });
  });
});
