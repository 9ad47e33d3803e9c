import { expect } from "chai";
import { Broker } from "../../packages/ferry/src/broker/broker.js";
import { ErrorCode, InvalidArgumentError, UnimplementedError } from "../../packages/ferry/src/core/errors.js";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import type { Transport } from "../../packages/ferry/src/core/transport.js";
import { deadLetterTopic, serviceTopic } from "../../packages/ferry/src/core/topics.js";
import { InProcessTransport } from "../../packages/ferry/src/transports/in-process/in-process-transport.js";
import { encodeValue } from "../../packages/ferry/src/core/wire/codec.js";
import { encodeDeadLetter } from "../../packages/ferry/src/core/wire/dead-letter.js";
import { encodeEnvelope, MessageKind } from "../../packages/ferry/src/core/wire/envelope.js";
import { Orders, OrdersHandler } from "../support/dead-letter-fixture.js";
import { fakeClock } from "../support/fake-clock.js";
import { rejection, until } from "../support/wait.js";

describe("dead letters as a tool (in-process broker)", () => {
  let broker: Broker;
  let ferry: Ferry;
  let handler: OrdersHandler;

  beforeEach(async () => {
    broker = new Broker();
    ferry = new Ferry(new InProcessTransport(broker));
    await ferry.start();
    handler = new OrdersHandler();
    await handler.serve(ferry);
  });
  afterEach(async () => {
    await ferry.close();
    broker.close();
  });

  /** Emits `count` events while the handler is broken, each once the previous one is a dead letter. */
  async function deadLetterEvents(count: number, from = 0): Promise<void> {
    // One at a time, so the dead letters are in emit order (partitions are handled concurrently).
    for (let i = from; i < from + count; i++) {
      const before = await dlqDepth();
      await ferry.emit(Orders.methods.placed, { order: `o-${i}` }, { idempotencyKey: `placed-${i}` });
      await until(async () => (await dlqDepth()) === before + 1, "a dead letter");
    }
  }

  async function dlqDepth(): Promise<number> {
    const topic = (await ferry.stats()).broker.topics.find((candidate) => candidate.name === deadLetterTopic(Orders.name));
    return topic?.partitions.reduce((sum, partition) => sum + partition.depth, 0) ?? 0;
  }

  it("lists each entry with its origin, method, key, delivery count, last error, time and request, without consuming it", async () => {
    const before = Date.now();
    await deadLetterEvents(2);
    const entries = await ferry.deadLetters(Orders.name).list();
    expect(entries).to.have.length(2);
    expect(entries[0]).to.deep.include({
      id: "0:0",
      kind: "event",
      method: "placed",
      key: "o-0",
      deliveryCount: 1,
      idempotencyKey: "placed-0",
      request: { order: "o-0" },
      error: { code: ErrorCode.Unavailable, message: "the payment provider is down" },
    });
    expect(entries[0]!.origin.topic).to.equal(serviceTopic(Orders.name));
    expect(entries[0]!.deadLetteredAt).to.be.at.least(before - 1000);
    // Listing twice reads the same entries: nothing was consumed or counted.
    expect((await ferry.deadLetters(Orders.name).list()).map((entry) => entry.id)).to.deep.equal(["0:0", "0:1"]);
    expect(await dlqDepth()).to.equal(2);
  });

  it("filters by method, error code, time and count", async () => {
    await deadLetterEvents(3);
    const failed = await rejection(ferry.call(Orders.methods.charge, { cents: 5 }, { retries: 0, idempotencyKey: "charge-1" }));
    expect(failed.code).to.equal(ErrorCode.Unavailable);
    await until(async () => (await dlqDepth()) === 4, "the call's dead letter");
    const queue = ferry.deadLetters(Orders.name);
    expect((await queue.list({ method: "charge" })).map((entry) => entry.idempotencyKey)).to.deep.equal(["charge-1"]);
    expect(await queue.list({ error: ErrorCode.AckTimeout })).to.deep.equal([]);
    expect(await queue.list({ error: ErrorCode.Unavailable })).to.have.length(4);
    expect(await queue.list({ since: Date.now() + 60_000 })).to.deep.equal([]);
    expect(await queue.list({ since: new Date(Date.now() - 60_000) })).to.have.length(4);
    expect((await queue.list({ limit: 2 })).map((entry) => entry.id)).to.deep.equal(["0:0", "0:1"]);
    expect((await queue.list({ method: "placed", limit: 1 })).map((entry) => entry.key)).to.deep.equal(["o-0"]);
  });

  it("shows one entry by id, and nothing for an id that is gone", async () => {
    await deadLetterEvents(2);
    const queue = ferry.deadLetters(Orders.name);
    expect((await queue.show("0:1"))?.request).to.deep.equal({ order: "o-1" });
    await queue.purge({ limit: 2 });
    expect(await queue.show("0:1")).to.equal(undefined);
  });

  it("purges only what the filter matches", async () => {
    await deadLetterEvents(3);
    await rejection(ferry.call(Orders.methods.charge, { cents: 5 }, { retries: 0 }));
    await until(async () => (await dlqDepth()) === 4, "the call's dead letter");
    const queue = ferry.deadLetters(Orders.name);
    expect(await queue.purge({ method: "placed", limit: 2 })).to.equal(2);
    expect((await queue.list()).map((entry) => `${entry.method}:${entry.key ?? "-"}`)).to.deep.equal(["placed:o-2", "charge:-"]);
    expect(await dlqDepth()).to.equal(2);
    expect(await queue.purge()).to.equal(2);
    expect(await queue.list()).to.deep.equal([]);
    expect(await dlqDepth()).to.equal(0);
  });

  it("replays after the fix: each entry runs once, and leaves the dead-letter topic", async () => {
    await deadLetterEvents(5);
    handler.broken = false;
    const replayed: string[] = [];
    const report = await ferry.deadLetters(Orders.name).replay({}, { rate: 10_000, onReplayed: (entry) => replayed.push(entry.id) });
    expect(report).to.deep.equal({ replayed: 5, skipped: 0, failed: 0, failures: [], cancelled: false });
    expect(replayed).to.deep.equal(["0:0", "0:1", "0:2", "0:3", "0:4"]);
    await until(() => handler.completed === 5, "the replayed events to run");
    expect([...handler.runs.values()]).to.deep.equal([1, 1, 1, 1, 1]);
    expect(await ferry.deadLetters(Orders.name).list()).to.deep.equal([]);
  });

  it("replays a request that was in fact handled from the idempotency store, not by running it again", async () => {
    await rejection(ferry.call(Orders.methods.charge, { cents: 7 }, { retries: 0, idempotencyKey: "charge-7" }));
    await until(async () => (await dlqDepth()) === 1, "the dead letter");
    handler.broken = false;
    // The same call, retried by its caller after the fix: it runs and its outcome is stored.
    expect(await ferry.call(Orders.methods.charge, { cents: 7 }, { idempotencyKey: "charge-7" })).to.deep.equal({ receipt: 7 });
    const served = await ferry.stats();
    const replayedBefore = Object.values(served.servers)[0]!.replayed;
    const report = await ferry.deadLetters(Orders.name).replay({}, { rate: 10_000 });
    expect(report.replayed).to.equal(1);
    await until(async () => Object.values((await ferry.stats()).servers)[0]!.replayed === replayedBefore + 1, "the stored reply");
    expect(handler.runs.get("charge-7")).to.equal(1);
  });

  it("runs a request without an idempotency key once per copy replayed, and one with a key once in all", async () => {
    await rejection(ferry.call(Orders.methods.ship, { order: "o-9" }, { retries: 0 }));
    await rejection(ferry.call(Orders.methods.charge, { cents: 3 }, { retries: 0, idempotencyKey: "charge-3" }));
    await until(async () => (await dlqDepth()) === 2, "two dead letters");
    // Each entry twice, as after a replay killed between a republish's confirm and its removal.
    const topic = deadLetterTopic(Orders.name);
    for (const message of (await ferry.transport.browse!(topic, { limit: 10 })).messages) await ferry.transport.publish(topic, message.bytes);
    handler.broken = false;
    expect((await ferry.deadLetters(Orders.name).replay({}, { rate: 10_000 })).replayed).to.equal(4);
    await until(() => handler.shipped === 2 && handler.runs.get("charge-3") === 1, "the replays to run");
    // The charge's copy shares the first run's outcome: joined while it ran, or replayed after.
    await until(async () => {
      const served = Object.values((await ferry.stats()).servers)[0]!;
      return served.replayed + served.joined === 1;
    }, "the charge's copy to be answered from the store");
    expect(handler.shipped, "ship has no key: each copy runs it").to.equal(2);
    expect(handler.runs.get("charge-3"), "charge has a key: its copy is answered from the store").to.equal(1);
  });

  it("leaves an entry that fails again for the next replay, with a new id, instead of chasing it", async () => {
    await deadLetterEvents(2);
    const report = await ferry.deadLetters(Orders.name).replay({}, { rate: 10_000 });
    expect(report.replayed).to.equal(2);
    await until(async () => (await ferry.deadLetters(Orders.name).list()).length === 2, "the second dead letters");
    expect((await ferry.deadLetters(Orders.name).list()).map((entry) => entry.id)).to.deep.equal(["0:2", "0:3"]);
    expect(handler.completed).to.equal(0);
  });

  it("skips an unreadable dead letter and reports it", async () => {
    await ferry.transport.publish(serviceTopic(Orders.name), Uint8Array.of(0xc1, 0xc1));
    await until(async () => (await dlqDepth()) === 1, "the malformed message's dead letter");
    await deadLetterEvents(1);
    handler.broken = false;
    const report = await ferry.deadLetters(Orders.name).replay({}, { rate: 10_000 });
    expect(report).to.deep.include({ replayed: 1, skipped: 1, failed: 0 });
    const left = await ferry.deadLetters(Orders.name).list();
    expect(left).to.have.length(1);
    expect(left[0]!.unreadable).to.be.a("string");
    expect(left[0]!.error.code).to.equal(ErrorCode.MalformedMessage);
  });

  it("lists a message that is not a dead letter at all as unreadable, and replay skips it", async () => {
    await ferry.transport.publish(deadLetterTopic(Orders.name), Uint8Array.of(1, 2, 3));
    const [entry] = await ferry.deadLetters(Orders.name).list();
    expect(entry).to.deep.include({ id: "0:0", kind: undefined, method: undefined });
    expect(entry!.unreadable).to.match(/^not a dead letter: /);
    expect(await ferry.deadLetters(Orders.name).replay({}, { rate: 10_000 })).to.deep.include({ replayed: 0, skipped: 1, failed: 0 });
  });

  it("counts an entry whose republish the broker refuses as failed, says why, and leaves it", async () => {
    const request = encodeEnvelope({ kind: MessageKind.Event, id: "c-1", service: Orders.name, method: "placed", idempotencyKey: "k-1", body: encodeValue({ order: "o-1" }) });
    const letter = { origin: { topic: "no such topic!", partition: 0, offset: 0 }, key: undefined, deliveryCount: 1, error: { code: "UNAVAILABLE", message: "down" }, deadLetteredAt: Date.now(), bytes: request };
    await ferry.transport.publish(deadLetterTopic(Orders.name), encodeDeadLetter(letter));
    const report = await ferry.deadLetters(Orders.name).replay({}, { rate: 10_000 });
    expect(report).to.deep.include({ replayed: 0, skipped: 0, failed: 1 });
    expect(report.failures[0]!.id).to.equal("0:0");
    expect(report.failures[0]!.error).to.match(/topic name "no such topic!" must be/);
    expect(await ferry.deadLetters(Orders.name).list()).to.have.length(1);
  });

  it("stops at a cancel, leaving every entry not yet replayed a dead letter", async () => {
    await deadLetterEvents(4);
    handler.broken = false;
    const controller = new AbortController();
    const report = await ferry.deadLetters(Orders.name).replay({}, { rate: 10_000, signal: controller.signal, onReplayed: (entry) => entry.id === "0:1" && controller.abort() });
    expect(report).to.deep.include({ replayed: 2, cancelled: true });
    expect((await ferry.deadLetters(Orders.name).list()).map((entry) => entry.id)).to.deep.equal(["0:2", "0:3"]);
  });

  it("paces a replay to its rate", async () => {
    const clock = fakeClock();
    const timed = new Ferry(new InProcessTransport(broker), { clock });
    await deadLetterEvents(3);
    handler.broken = false;
    const replayed: string[] = [];
    const replay = timed.deadLetters(Orders.name).replay({}, { rate: 2, onReplayed: (entry) => replayed.push(entry.id) });
    await until(() => replayed.length === 1, "the first entry");
    await clock.tick(499);
    expect(replayed).to.have.length(1);
    await clock.tick(1);
    await until(() => replayed.length === 2, "the second entry");
    await clock.tick(500);
    expect((await replay).replayed).to.equal(3);
    await timed.close();
  });

  it("refuses an unknown service, naming the ones the broker has", async () => {
    const error = await rejection(ferry.deadLetters("Ordres").list());
    expect(error).to.be.instanceOf(InvalidArgumentError);
    expect(error.message).to.equal(`the broker has no service Ordres: it has ${Orders.name}`);
  });

  it("refuses a bad filter or rate with InvalidArgumentError naming it", async () => {
    const queue = ferry.deadLetters(Orders.name);
    expect((await rejection(queue.list({ since: new Date("nonsense") }))).message).to.match(/^filter\.since must be a valid Date/);
    expect((await rejection(queue.list({ limit: 0 })))).to.be.instanceOf(InvalidArgumentError);
    expect((await rejection(queue.list({ method: 3 as never }))).message).to.match(/^filter\.method/);
    expect((await rejection(queue.replay({}, { rate: 0 }))).message).to.match(/^replay rate must be a positive number/);
    expect((await rejection(queue.replay({}, { rate: Number.NaN })))).to.be.instanceOf(InvalidArgumentError);
    expect(() => ferry.deadLetters("")).to.throw(InvalidArgumentError);
  });

  it("says so when the transport cannot browse", async () => {
    const plain = new InProcessTransport(broker);
    const limited: Transport = Object.assign(Object.create(plain) as Transport, { browse: undefined, remove: undefined });
    const error = await rejection(new Ferry(limited).deadLetters(Orders.name).list());
    expect(error).to.be.instanceOf(UnimplementedError);
    await plain.close();
  });
});
