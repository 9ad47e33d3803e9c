import { expect } from "chai";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { UnimplementedError } from "../../packages/ferry/src/core/errors.js";
import { deadLetterTopic } from "../../packages/ferry/src/core/topics.js";
import { NatsTransport } from "../../packages/ferry/src/transports/nats/nats-transport.js";
import { Orders } from "../support/dead-letter-fixture.js";
import { replayAcrossSigkill, replayAfterTheFix, useOrdersDeadLetters } from "../support/dead-letter-tool.js";
import { useNatsServer } from "../support/nats-server.js";
import { rejection } from "../support/wait.js";

describe("dead letters as a tool on NATS", function () {
  this.timeout(180_000);
  const natsUrl = useNatsServer();
  const tool = useOrdersDeadLetters(() => NatsTransport.connect({ url: natsUrl(), mode: "durable" }));

  it("lists, filters, shows and purges a durable topic's dead letters by stream sequence", async () => {
    await tool.deadLetterEvents(3);
    const queue = tool.ferry.deadLetters(Orders.name);
    const entries = await queue.list();
    expect(entries.map((entry) => entry.method)).to.deep.equal(["placed", "placed", "placed"]);
    expect(entries.every((entry) => /^\d+$/.test(entry.id) && entry.deliveryCount === 1 && entry.error.code === "UNAVAILABLE")).to.equal(true);
    expect((await queue.show(entries[1]!.id))?.idempotencyKey).to.equal(entries[1]!.idempotencyKey);
    expect(await queue.list({ method: "charge" })).to.deep.equal([]);
    expect(await queue.purge({ limit: 2 })).to.equal(2);
    expect((await queue.list()).map((entry) => entry.id)).to.deep.equal([entries[2]!.id]);
    expect(await queue.show(entries[0]!.id)).to.equal(undefined);
  });

  it("replays after the fix: each runs once and leaves the dead-letter stream", async () => {
    await replayAfterTheFix(tool);
  });

  it("replays 1,000 dead letters across a SIGKILL of `ferry dlq replay`: none lost, none handled twice, none left", async () => {
    const total = 1000;
    await tool.deadLetterEvents(total);
    await replayAcrossSigkill({ url: natsUrl(), handler: tool.handler, dlqDepth: tool.dlqDepth, total, killAfter: 300, rate: 200, slack: 0 });
  });

  it("says that a core topic's dead letters are not stored", async () => {
    const core = new Ferry(await NatsTransport.connect({ url: natsUrl(), mode: "core" }));
    await core.start();
    await core.serve({ ...Orders, name: "DlqCore" }, tool.handler.implementation);
    const error = await rejection(core.deadLetters("DlqCore").list());
    expect(error).to.be.instanceOf(UnimplementedError);
    expect(error.message).to.include("not stored");
    expect(deadLetterTopic("DlqCore")).to.equal("svc.DlqCore.dlq");
    await core.close();
  });
});
