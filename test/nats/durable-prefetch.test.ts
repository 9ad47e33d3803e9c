import { expect } from "chai";
import type { Delivery, GroupPartitionStats } from "../../packages/ferry/src/core/transport.js";
import { NatsTransport } from "../../packages/ferry/src/transports/nats/nats-transport.js";
import { PullCredit, type CreditLane } from "../../packages/ferry/src/transports/nats/pull-credit.js";
import { until } from "../support/wait.js";
import { useNatsServer } from "../support/nats-server.js";

describe("nats durable consumer prefetch", function () {
  const natsUrl = useNatsServer();
  let tests = 0;
  const opened: NatsTransport[] = [];
  afterEach(async () => {
    for (const transport of opened.reverse()) await transport.close();
    opened.length = 0;
  });

  async function transport(prefix: string): Promise<NatsTransport> {
    const connected = await NatsTransport.connect({ url: natsUrl(), mode: "durable", prefix });
    opened.push(connected);
    return connected;
  }

  /** The group's figures as JetStream reports them, summed over lanes. */
  async function groupStats(from: NatsTransport, topic: string): Promise<Pick<GroupPartitionStats, "lag" | "inFlight" | "redeliveries" | "deadLettered">> {
    const partitions = (await from.stats()).topics.find((t) => t.name === topic)?.groups[0]?.partitions ?? [];
    const sum = (field: "lag" | "inFlight" | "redeliveries" | "deadLettered"): number => partitions.reduce((total, p) => total + p[field], 0);
    return { lag: sum("lag"), inFlight: sum("inFlight"), redeliveries: sum("redeliveries"), deadLettered: sum("deadLettered") };
  }

  /**
   * Handles every delivery after `workMs` (far inside the ack timeout), recording how many ran at
   * once and how many messages JetStream counted unacknowledged while each one started.
   */
  function worker(observer: NatsTransport, topic: string, workMs: number, decide: (delivery: Delivery) => "ack" | "nack" = () => "ack") {
    const record = { runs: [] as string[], redelivered: 0, running: 0, mostRunning: 0, unackedSamples: [] as Promise<number>[] };
    const handle = (delivery: Delivery): void => {
      record.running++;
      record.mostRunning = Math.max(record.mostRunning, record.running);
      record.runs.push(new TextDecoder().decode(delivery.bytes));
      if (delivery.deliveryCount > 1) record.redelivered++;
      record.unackedSamples.push(groupStats(observer, topic).then((stats) => stats.inFlight));
      setTimeout(() => {
        record.running--;
        if (decide(delivery) === "ack") delivery.ack();
        else delivery.nack();
      }, workMs);
    };
    return { record, handle };
  }

  it("pulls no more than prefetch from JetStream, so a backlog is handled once each and never redelivered", async () => {
    const prefix = `pf${++tests}`;
    const producer = await transport(prefix);
    const consumer = await transport(prefix);
    await producer.declareTopic("jobs", { ackTimeoutMs: 500, maxDeliveries: 5 });
    const sent = Array.from({ length: 20 }, (_, i) => `job-${i}`);
    for (const body of sent) await producer.publish("jobs", new TextEncoder().encode(body));
    // With prefetch 1, job-19 waits for 19 handlers of 50 ms: about twice the ack timeout. Had it
    // been pulled early, JetStream would have redelivered it.
    const { record, handle } = worker(producer, "jobs", 50);
    await consumer.consume("jobs", "g", handle, { prefetch: 1 });
    await until(() => record.runs.length >= sent.length, "every job handled");
    await until(async () => (await groupStats(producer, "jobs")).lag === 0, "every job acknowledged");

    expect([...record.runs].sort()).to.deep.equal([...sent].sort());
    expect(record.redelivered).to.equal(0);
    expect(record.mostRunning).to.equal(1);
    expect(Math.max(...(await Promise.all(record.unackedSamples)))).to.equal(1);
    expect((await groupStats(producer, "jobs")).redeliveries).to.equal(0);
  });

  it("keeps each key in order and within prefetch when prefetch is below the number of lanes", async () => {
    const prefix = `pf${++tests}`;
    const producer = await transport(prefix);
    const consumer = await transport(prefix);
    await producer.declareTopic("orders", { ackTimeoutMs: 1_000, maxDeliveries: 5, partitions: 4 });
    const keys = ["a", "b", "c", "d", "e", "f"];
    const sent: string[] = [];
    for (let n = 0; n < 4; n++) {
      for (const key of keys) {
        sent.push(`${key}:${n}`);
        await producer.publish("orders", new TextEncoder().encode(`${key}:${n}`), { key });
      }
    }
    // 2 credits for 5 lanes (4 partitions and the unkeyed one).
    const { record, handle } = worker(producer, "orders", 5);
    await consumer.consume("orders", "g", handle, { prefetch: 2 });
    await until(() => record.runs.length >= sent.length, "every order handled");
    await until(async () => (await groupStats(producer, "orders")).lag === 0, "every order acknowledged");

    expect([...record.runs].sort()).to.deep.equal([...sent].sort());
    for (const key of keys) expect(record.runs.filter((run) => run.startsWith(`${key}:`))).to.deep.equal([0, 1, 2, 3].map((n) => `${key}:${n}`));
    expect(record.redelivered).to.equal(0);
    // The member's own count is exact. JetStream's is not a snapshot here: it is summed over five
    // consumers read one after another, and each takes acks from a queue of its own, so an ack on
    // its way can still count while the message its credit pulled next is delivered on another lane.
    expect(record.mostRunning).to.be.at.most(2);
    await Promise.all(record.unackedSamples); // answered before the transports close
  });

  it("dead-letters a message nacked on its last delivery and goes on with the rest at prefetch 1", async () => {
    const prefix = `pf${++tests}`;
    const producer = await transport(prefix);
    const consumer = await transport(prefix);
    await producer.declareTopic("jobs", { ackTimeoutMs: 1_000, maxDeliveries: 3 });
    for (const body of ["bad", "good-1", "good-2"]) await producer.publish("jobs", new TextEncoder().encode(body));
    const { record, handle } = worker(producer, "jobs", 1, (delivery) => (new TextDecoder().decode(delivery.bytes) === "bad" ? "nack" : "ack"));
    await consumer.consume("jobs", "g", handle, { prefetch: 1 });
    await until(async () => {
      const stats = await groupStats(producer, "jobs");
      return stats.lag === 0 && stats.deadLettered === 1;
    }, "the bad job dead-lettered and the good ones acknowledged");

    expect(record.runs.filter((run) => run === "bad")).to.have.length(3);
    expect(record.runs.filter((run) => run !== "bad").sort()).to.deep.equal(["good-1", "good-2"]);
    expect(record.mostRunning).to.equal(1);
  });
});

describe("pull credit", () => {
  const lanes = (count: number, cap: number): CreditLane[] => Array.from({ length: count }, () => ({ cap, reserved: 0 }));

  it("leaves one credit for every other lane without a pull request", async () => {
    const [busy, ...idle] = lanes(3, 64);
    const credit = new PullCredit(10, [busy!, ...idle]);
    expect(await credit.take(busy!)).to.deep.equal({ count: 8, expiresMs: 30_000 });
    for (const lane of idle) expect((await credit.take(lane))?.count).to.equal(1);
    expect(credit.inUse).to.equal(10);
  });

  it("grants nothing past its limit until credit is released", async () => {
    const [first, second] = lanes(2, 1);
    const credit = new PullCredit(1, [first!, second!]);
    expect(credit.scarce).to.equal(true);
    expect(await credit.take(first!)).to.deep.equal({ count: 1, expiresMs: 1_000 });
    let granted = false;
    const next = credit.take(second!).then((grant) => ((granted = true), grant));
    await Promise.resolve();
    expect(granted).to.equal(false);
    first!.reserved = 0;
    credit.release(1);
    expect((await next)?.count).to.equal(1);
    expect(credit.inUse).to.equal(1);
  });

  it("keeps credit free for messages waiting for their key's turn, out of large grants only, with short requests", async () => {
    const [busy, ...idle] = lanes(3, 64);
    const credit = new PullCredit(10, [busy!, ...idle]);
    credit.setTurnsWaiting(4);
    expect(await credit.take(busy!)).to.deep.equal({ count: 4, expiresMs: 1_000 });
    // Every lane still keeps a request open: a waiting message's earlier one may come on any lane.
    for (const lane of idle) expect((await credit.take(lane))?.count).to.equal(1);
    expect(credit.inUse).to.equal(6);
  });

  it("lends a credit past its limit to a message whose turn came, and grants no pull until it is back", async () => {
    const [first, second] = lanes(2, 1);
    const credit = new PullCredit(1, [first!, second!]);
    await credit.take(first!);
    credit.borrow();
    expect(credit.inUse).to.equal(2);
    let granted = false;
    const next = credit.take(second!).then((grant) => ((granted = true), grant));
    first!.reserved = 0;
    credit.release(1);
    await Promise.resolve();
    expect(granted).to.equal(false);
    credit.release(1);
    expect((await next)?.count).to.equal(1);
  });

  it("answers waiting lanes with nothing once closed", async () => {
    const [first, second] = lanes(2, 1);
    const credit = new PullCredit(1, [first!, second!]);
    await credit.take(first!);
    const waiting = credit.take(second!);
    credit.close();
    expect(await waiting).to.equal(undefined);
  });
});
