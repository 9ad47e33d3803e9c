import { expect } from "chai";
import { InvalidArgumentError, ClosedError } from "../../packages/ferry/src/core/errors.js";
import type { Delivery } from "../../packages/ferry/src/core/transport.js";
import { Broker } from "../../packages/ferry/src/broker/broker.js";
import { hashKey } from "../../packages/ferry/src/core/partition.js";
import { fakeClock } from "../support/fake-clock.js";
import { until } from "../support/wait.js";

describe("embedded broker", () => {
  it("redelivers a delivery nobody acknowledged within ackTimeoutMs", async () => {
    const clock = fakeClock();
    const broker = new Broker({ clock, sweepIntervalMs: 100 });
    broker.declareTopic("t", { ackTimeoutMs: 1_000 });
    const seen: Delivery[] = [];
    broker.join("t", "g", (delivery) => void seen.push(delivery), { prefetch: 5, ordered: true });
    broker.publish("t", new Uint8Array([1]));
    await until(() => seen.length === 1);
    await clock.tick(999);
    expect(seen.length).to.equal(1);
    await clock.tick(101);
    await until(() => seen.length === 2);
    expect(seen[1]!.deliveryCount).to.equal(2);
    expect(broker.stats().topics[0]!.groups[0]!.partitions.reduce((sum, p) => sum + p.redeliveries, 0)).to.equal(1);
    broker.close();
  });

  it("waits delayMs before redelivering a nacked message", async () => {
    const clock = fakeClock();
    const broker = new Broker({ clock });
    const seen: Delivery[] = [];
    broker.join("t", "g", (delivery) => {
      seen.push(delivery);
      if (seen.length === 1) delivery.nack({ delayMs: 500 });
    }, { prefetch: 5, ordered: true });
    broker.publish("t", new Uint8Array([1]));
    await until(() => seen.length === 1);
    await clock.tick(499);
    expect(seen.length).to.equal(1);
    await clock.tick(1);
    await until(() => seen.length === 2);
    broker.close();
  });

  it("maps a key to the same partition every time (FNV-1a), and spreads unkeyed messages round-robin", () => {
    expect(hashKey("order-42")).to.equal(hashKey("order-42"));
    expect(hashKey("")).to.equal(0x811c9dc5);
    const broker = new Broker();
    for (let i = 0; i < 16; i++) broker.publish("rr", new Uint8Array([i]));
    expect(broker.stats().topics[0]!.partitions.map((p) => p.depth)).to.deep.equal([2, 2, 2, 2, 2, 2, 2, 2]);
    broker.close();
  });

  it("reports depth and lag per partition until the group acknowledges", async () => {
    const broker = new Broker();
    broker.declareTopic("t", { partitions: 1 });
    for (let i = 0; i < 3; i++) broker.publish("t", new Uint8Array([i]));
    expect(broker.stats().topics[0]!.partitions[0]).to.include({ depth: 3, published: 3 });
    const seen: Delivery[] = [];
    broker.join("t", "g", (delivery) => void seen.push(delivery), { prefetch: 2, ordered: false });
    await until(() => seen.length === 2);
    let group = broker.stats().topics[0]!.groups[0]!.partitions[0]!;
    expect(group).to.include({ lag: 3, inFlight: 2 });
    for (const delivery of seen.splice(0)) delivery.ack();
    await until(() => seen.length === 1);
    seen[0]!.ack();
    group = broker.stats().topics[0]!.groups[0]!.partitions[0]!;
    expect(group).to.include({ lag: 0, inFlight: 0 });
    expect(broker.stats().topics[0]!.partitions[0]!.depth).to.equal(0);
    broker.close();
  });

  it("refuses bad names and options with INVALID_ARGUMENT", () => {
    const broker = new Broker();
    expect(() => broker.publish("bad topic", new Uint8Array())).to.throw(InvalidArgumentError, "topic name");
    expect(() => broker.publish("", new Uint8Array())).to.throw(InvalidArgumentError);
    expect(() => broker.declareTopic("t", { partitions: 0 })).to.throw(InvalidArgumentError, "partitions");
    expect(() => broker.declareTopic("t", { overflow: "explode" as never })).to.throw(InvalidArgumentError, "overflow");
    broker.declareTopic("t", { partitions: 4 });
    expect(() => broker.declareTopic("t", { partitions: 8 })).to.throw(InvalidArgumentError, "already has 4 partitions");
    expect(() => broker.join("t", "g", () => undefined, { prefetch: 0, ordered: true })).to.throw(InvalidArgumentError, "prefetch");
    broker.close();
  });

  it("refuses work once closed", () => {
    const broker = new Broker();
    broker.close();
    expect(() => broker.publish("t", new Uint8Array())).to.throw(ClosedError);
  });

  it("counts and drops a reply to a reply queue that is gone", () => {
    const broker = new Broker();
    const name = broker.openReplyQueue(() => undefined);
    broker.closeReplyQueue(name);
    broker.reply(name, new Uint8Array([1]));
    expect(broker.stats()).to.include({ replyQueues: 0, repliesDropped: 1 });
    broker.close();
  });
});
