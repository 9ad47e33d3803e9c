import { expect } from "chai";
import { InvalidArgumentError, UnimplementedError } from "../../packages/ferry/src/core/errors.js";
import { RabbitMqTransport } from "../../packages/ferry/src/transports/rabbitmq/rabbitmq-transport.js";
import { Orders } from "../support/dead-letter-fixture.js";
import { replayAcrossSigkill, replayAfterTheFix, useOrdersDeadLetters } from "../support/dead-letter-tool.js";
import { useRabbitVhost } from "../support/rabbitmq.js";
import { rejection } from "../support/wait.js";

describe("dead letters as a tool on RabbitMQ", function () {
  this.timeout(180_000);
  const url = useRabbitVhost();
  // The default prefix, as `ferry dlq --url amqp://...` uses.
  const tool = useOrdersDeadLetters(() => RabbitMqTransport.connect({ url: url() }));

  it("lists, filters, shows and purges dead letters by the id stamped on each, without consuming the others", async () => {
    await tool.deadLetterEvents(3);
    const queue = tool.ferry.deadLetters(Orders.name);
    const entries = await queue.list();
    expect(entries.map((entry) => entry.method)).to.deep.equal(["placed", "placed", "placed"]);
    expect(entries.every((entry) => /^[0-9a-f-]{36}$/.test(entry.id) && entry.deliveryCount === 1 && entry.error.code === "UNAVAILABLE")).to.equal(true);
    expect(new Set(entries.map((entry) => entry.id)).size).to.equal(3);
    // Listing twice gives the same entries in the same order: browsing put them back.
    expect((await queue.list()).map((entry) => entry.id)).to.deep.equal(entries.map((entry) => entry.id));
    expect((await queue.show(entries[1]!.id))?.idempotencyKey).to.equal(entries[1]!.idempotencyKey);
    expect(await queue.list({ method: "charge" })).to.deep.equal([]);
    expect(await queue.purge({ limit: 2 })).to.equal(2);
    expect((await queue.list()).map((entry) => entry.id)).to.deep.equal([entries[2]!.id]);
    expect(await queue.show(entries[0]!.id)).to.equal(undefined);
  });

  it("reads past a page: 600 dead letters in pages of 256, each once, in order", async () => {
    await tool.deadLetterEvents(600);
    const entries = await tool.ferry.deadLetters(Orders.name).list({ limit: 100_000 });
    expect(entries).to.have.length(600);
    expect(new Set(entries.map((entry) => entry.id)).size).to.equal(600);
  });

  it("replays after the fix: each runs once and leaves the dead-letter queue", async () => {
    await replayAfterTheFix(tool);
  });

  it("replays 300 dead letters across a SIGKILL of `ferry dlq replay --url amqp://`: none lost, none handled twice, none left", async () => {
    const total = 300;
    await tool.deadLetterEvents(total);
    await replayAcrossSigkill({ url: url(), handler: tool.handler, dlqDepth: tool.dlqDepth, total, killAfter: 100, rate: 100, slack: 1 });
  });

  it("refuses an id browse did not give, and reads only dead-letter topics", async () => {
    const transport = tool.ferry.transport;
    expect(await rejection(transport.remove!("svc.DlqOrders.dlq", ["17"]))).to.be.instanceOf(InvalidArgumentError);
    expect(await rejection(transport.browse!("svc.DlqOrders", { limit: 1 }))).to.be.instanceOf(UnimplementedError);
    expect(await transport.browse!("svc.Nobody.dlq", { limit: 5 })).to.deep.equal({ messages: [], next: undefined });
  });
});
