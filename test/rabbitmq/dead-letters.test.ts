import { expect } from "chai";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { UnavailableError } from "../../packages/ferry/src/core/errors.js";
import type { Delivery } from "../../packages/ferry/src/core/transport.js";
import { decodeEnvelope } from "../../packages/ferry/src/core/wire/envelope.js";
import { deadLetterTopic, readDeadLetter } from "../../packages/ferry/src/index.js";
import { RabbitMqTransport } from "../../packages/ferry/src/transports/rabbitmq/rabbitmq-transport.js";
import { Calculator, calculatorImpl } from "../support/services.js";
import { rejection, until } from "../support/wait.js";
import { useRabbitTransports, useRabbitVhost } from "../support/rabbitmq.js";

describe("rabbitmq dead letters", function () {
  this.timeout(60_000);
  const url = useRabbitVhost();
  const { transport, track } = useRabbitTransports(url);
  const runtime = async (prefix: string) => {
    const ferry = new Ferry(await transport(prefix));
    await ferry.start();
    track(ferry);
    return ferry;
  };

  /**
   * Publishes `[value]` durably to "crashy" (delivery limit 1); two members in turn take it and
   * leave without settling it, so RabbitMQ counts each return and dead-letters it itself.
   */
  const deadLetteredByRabbitMq = async (prefix: string, value: number) => {
    const producer = await transport(prefix);
    await producer.declareTopic("crashy", { durable: true, maxDeliveries: 1 });
    await producer.publish("crashy", new Uint8Array([value]), { durable: true, key: "k" });
    for (let round = 0; round < 2; round++) {
      const member = await RabbitMqTransport.connect({ url: url(), prefix });
      await member.declareTopic("crashy", { durable: true, maxDeliveries: 1 });
      const held: Delivery[] = [];
      await member.consume("crashy", "g", (delivery) => void held.push(delivery));
      await until(() => held.length === 1, `delivery ${round + 1}`);
      await member.close();
    }
    return producer;
  };

  it("dead-letters a call after maxDeliveries as a record readDeadLetter reads, counted by the serving member", async () => {
    const server = await runtime("dl1");
    let runs = 0;
    await server.serve(Calculator, { ...calculatorImpl, add: () => (runs++, Promise.reject(new UnavailableError("database down"))) }, { topic: { maxDeliveries: 3 }, redeliveryDelayMs: 0 });
    const inspector = await transport("dl1");
    const dead: Delivery[] = [];
    await inspector.consume(deadLetterTopic("Calculator"), "inspector", (delivery) => void dead.push(delivery));
    const client = await runtime("dl1");
    const error = await rejection(client.call(Calculator.methods.add, { a: 1, b: 1 }));
    expect(error.code).to.equal("UNAVAILABLE");
    expect(runs).to.equal(3);
    await until(() => dead.length === 1, "dead letter");
    const letter = readDeadLetter(dead[0]!.bytes);
    expect(letter.origin.topic).to.equal("svc.Calculator");
    expect(letter.deliveryCount).to.equal(3);
    expect(letter.error).to.deep.equal({ code: "UNAVAILABLE", message: "database down" });
    expect(letter).to.include({ kind: "call", service: "Calculator", method: "add", unreadable: undefined });
    expect(letter.request).to.deep.equal({ a: 1, b: 1 });
    expect(decodeEnvelope(letter.bytes).id).to.equal(letter.callId);
    const stats = (await server.stats()).broker.topics.find((topic) => topic.name === "svc.Calculator")!;
    expect(stats.groups[0]!.partitions.reduce((sum, partition) => sum + partition.deadLettered, 0)).to.equal(1);
  });

  it("turns a message RabbitMQ dead-lettered itself (quorum delivery limit: its members died holding it) into a record", async () => {
    await deadLetteredByRabbitMq("dl2", 5);
    const inspector = await transport("dl2");
    const dead: Delivery[] = [];
    await inspector.consume("crashy.dlq", "inspector", (delivery) => void dead.push(delivery));
    await until(() => dead.length === 1, "the dead letter RabbitMQ made");
    const letter = readDeadLetter(dead[0]!.bytes);
    expect(letter.origin.topic).to.equal("crashy");
    expect(letter.key).to.equal("k");
    expect(letter.error.code).to.equal("CONSUMER_LEFT");
    expect([...letter.bytes]).to.deep.equal([5]);
  });

  it("browses a dead letter RabbitMQ made by a digest id, stable across reads, and removes it by that id", async () => {
    const producer = await deadLetteredByRabbitMq("dl3", 6);
    let page = await producer.browse("crashy.dlq", { limit: 10 });
    await until(async () => (page = await producer.browse("crashy.dlq", { limit: 10 })).messages.length === 1, "the dead letter RabbitMQ made");
    const [entry] = page.messages;
    expect(entry!.id).to.match(/^r[0-9a-f]{32}$/);
    expect(readDeadLetter(entry!.bytes).error.code).to.equal("CONSUMER_LEFT");
    expect((await producer.browse("crashy.dlq", { limit: 10 })).messages.map((message) => message.id)).to.deep.equal([entry!.id]);
    expect(await producer.remove("crashy.dlq", [entry!.id])).to.equal(1);
    expect(await producer.remove("crashy.dlq", [entry!.id])).to.equal(0);
    expect((await producer.browse("crashy.dlq", { limit: 10 })).messages).to.deep.equal([]);
  });
});
