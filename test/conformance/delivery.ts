import { expect } from "chai";
import { deadLetterTopic, readDeadLetter } from "../../packages/ferry/src/index.js";
import { decodeEnvelope } from "../../packages/ferry/src/core/wire/envelope.js";
import { ErrorCode, NoRespondersError, UnavailableError } from "../../packages/ferry/src/core/errors.js";
import type { Delivery, Transport } from "../../packages/ferry/src/core/transport.js";
import { Calculator, Ledger } from "../support/services.js";
import { gate, rejection, turn, until } from "../support/wait.js";
import { useHarness, type ConformanceTarget } from "./harness.js";

export function describeDelivery(target: ConformanceTarget): void {
  describe("delivery", () => {
    const harness = useHarness(target);

    it("runs calls with the same key one at a time, in order, across 1,000 interleaved keys", async function () {
      // 5,000 calls: on NATS durable mode each keyed call also asks the stream for its turn: about 10 s
      // measured on a two-core machine, too close to the suite's default timeout when the machine is busy.
      this.timeout(60_000);
      const keys = 1_000;
      const perKey = 5;
      const server = await harness().runtime();
      const seen = new Map<string, number[]>();
      const running = new Set<string>();
      let overlaps = 0;
      let step = 0;
      await server.serve(
        Ledger,
        {
          append: async ({ account, seq }: { account: string; seq: number }) => {
            if (running.has(account)) overlaps++;
            running.add(account);
            // Hold each handler for a varying number of loop turns so completions interleave.
            for (let i = (step++ * 7) % 5; i > 0; i--) await turn();
            (seen.get(account) ?? seen.set(account, []).get(account)!).push(seq);
            running.delete(account);
            return { ok: true as const };
          },
        },
        { concurrency: 64 },
      );
      const client = await harness().runtime();
      const calls: Promise<unknown>[] = [];
      for (let seq = 0; seq < perKey; seq++) {
        for (let k = 0; k < keys; k++) calls.push(client.call(Ledger.methods.append, { account: `acct-${k}`, seq }));
      }
      await Promise.all(calls);
      expect(overlaps).to.equal(0);
      expect(seen.size).to.equal(keys);
      for (const sequence of seen.values()) expect(sequence).to.deep.equal([0, 1, 2, 3, 4]);
    });

    it("publishes a request without a promise: no consumer reaches the failure callback (never synchronously), a served topic reports nothing", async () => {
      const transport = await harness().transport();
      const consumer = await harness().transport();
      const received: Uint8Array[] = [];
      await consumer.consume("served", "workers", (delivery) => {
        received.push(delivery.bytes);
        delivery.ack();
      });
      // Transports without `publishRequest` are used through `publish` with `lazyConfirm`, as the client does.
      const publishRequest = (topic: string, failed: (error: Error) => void) =>
        transport.publishRequest !== undefined
          ? transport.publishRequest(topic, new Uint8Array([7]), { requireConsumer: true, lazyConfirm: true }, failed)
          : void transport.publish(topic, new Uint8Array([7]), { requireConsumer: true, lazyConfirm: true }).catch(failed);
      const failures: { topic: string; error: Error; returned: boolean }[] = [];
      for (const topic of ["nobody-listens", "served"]) {
        let returned = false;
        publishRequest(topic, (error) => failures.push({ topic, error, returned }));
        returned = true;
      }
      await until(() => failures.length === 1 && received.length === 1, "the failure and the delivery");
      expect(failures[0]!.topic).to.equal("nobody-listens");
      expect(failures[0]!.error).to.be.instanceOf(NoRespondersError);
      expect(failures[0]!.returned, "failed was called before publishRequest returned").to.equal(true);
      expect([...received[0]!]).to.deep.equal([7]);
      // The served request's confirm (lazy) has come and gone without a failure.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(failures).to.have.length(1);
    });

    it("redelivers what a consumer held when it leaves mid-handling", async () => {
      const producer = await harness().transport();
      const first = await harness().transport();
      const second = await harness().transport();
      const held: Delivery[] = [];
      const subscription = await first.consume("jobs", "workers", (delivery) => void held.push(delivery), { prefetch: 10 });
      await producer.publish("jobs", new Uint8Array([1, 2, 3]), { key: "job-1" });
      await until(() => held.length === 1, "first delivery");
      expect(held[0]!.deliveryCount).to.equal(1);

      const redelivered: Delivery[] = [];
      await second.consume("jobs", "workers", (delivery) => void redelivered.push(delivery), { prefetch: 10 });
      await subscription.unsubscribe();
      await until(() => redelivered.length === 1, "redelivery");
      expect([...redelivered[0]!.bytes]).to.deep.equal([1, 2, 3]);
      expect(redelivered[0]!.deliveryCount).to.equal(2);
      redelivered[0]!.ack();
      // An ack from the consumer that left is stale and changes nothing.
      held[0]!.ack();
      await turn();
      const group = (await producer.stats()).topics.find((topic) => topic.name === "jobs")!.groups[0]!;
      expect(group.partitions.reduce((sum, partition) => sum + partition.lag + partition.inFlight, 0)).to.equal(0);
    });

    it("dead-letters a message after maxDeliveries, with its error, attempts and origin", async () => {
      const server = await harness().runtime();
      let runs = 0;
      await server.serve(
        Calculator,
        {
          add: () => {
            runs++;
            throw new UnavailableError("database down");
          },
          echo: (value) => value,
          charge: () => ({ receipt: 0 }),
          slow: () => "",
          fail: () => {
            throw new Error("unused");
          },
          note: () => undefined,
        },
        { topic: { maxDeliveries: 3 }, redeliveryDelayMs: 0 },
      );
      const inspector = await harness().transport();
      const dead: Delivery[] = [];
      await inspector.consume(deadLetterTopic("Calculator"), "inspector", (delivery) => void dead.push(delivery));
      const client = await harness().runtime();
      const error = await rejection(client.call(Calculator.methods.add, { a: 1, b: 1 }));
      expect(error.code).to.equal("UNAVAILABLE");
      expect(error.message).to.equal("database down");
      expect(runs).to.equal(3);
      await until(() => dead.length === 1, "dead letter");
      const letter = readDeadLetter(dead[0]!.bytes);
      expect(letter.origin.topic).to.equal("svc.Calculator");
      expect(letter.deliveryCount).to.equal(3);
      expect(letter.error).to.deep.equal({ code: "UNAVAILABLE", message: "database down" });
      expect(letter).to.include({ kind: "call", service: "Calculator", method: "add", unreadable: undefined });
      expect(letter.request).to.deep.equal({ a: 1, b: 1 });
      expect(letter.callId).to.be.a("string");
      expect(decodeEnvelope(letter.bytes).id).to.equal(letter.callId);
      const stats = (await client.stats()).broker.topics.find((topic) => topic.name === "svc.Calculator")!;
      expect(stats.groups[0]!.partitions.reduce((sum, partition) => sum + partition.deadLettered, 0)).to.equal(1);
    });

    it("records NACKED as the dead letter's reason for a message nacked without one on its last allowed delivery", async () => {
      const producer = await harness().transport();
      const consumer = await harness().transport();
      const inspector = await harness().transport();
      // Declared on the consumer's connection: core NATS keeps topic options in the member.
      await consumer.declareTopic("refused", { maxDeliveries: 2 });
      const dead: Delivery[] = [];
      await inspector.consume("refused.dlq", "inspector", (delivery) => void dead.push(delivery));
      const counts: number[] = [];
      await consumer.consume("refused", "workers", (delivery) => {
        counts.push(delivery.deliveryCount);
        delivery.nack();
      });
      await producer.publish("refused", new Uint8Array([9]));
      await until(() => dead.length === 1, "dead letter");
      const letter = readDeadLetter(dead[0]!.bytes);
      expect(counts).to.deep.equal([1, 2]);
      expect(letter.deliveryCount).to.equal(2);
      expect(letter.error.code).to.equal(ErrorCode.Nacked);
      expect([...letter.bytes]).to.deep.equal([9]);
    });

    /** One request past its deadline and one live, queued before a consumer joins: what reaches it. */
    async function expiredAndLive(): Promise<{ producer: Transport; received: number[] }> {
      const producer = await harness().transport();
      const consumer = await harness().transport();
      const now = harness().clock.now();
      await producer.publish("expiring", new Uint8Array([1]), { expiresAt: now - 1 });
      await producer.publish("expiring", new Uint8Array([2]), { expiresAt: now + 60_000 });
      const received: number[] = [];
      await consumer.consume("expiring", "g", (delivery) => {
        received.push(delivery.bytes[0]!);
        delivery.ack();
      });
      await until(() => received.length === 1, "the live message");
      await turn();
      return { producer, received };
    }

    it("drops a request whose deadline passed while it waited in the queue", async () => {
      const { received } = await expiredAndLive();
      expect(received).to.deep.equal([2]);
    });

    it("counts the request it dropped for its deadline", async () => {
      const { producer } = await expiredAndLive();
      const topic = (await producer.stats()).topics.find((t) => t.name === "expiring")!;
      expect(topic.groups[0]!.partitions.reduce((sum, partition) => sum + partition.expired, 0)).to.equal(1);
    });

    it("splits partitions between the members of a group and hands them over when one leaves", async () => {
      const producer = await harness().transport();
      const a = await harness().transport();
      const b = await harness().transport();
      const byMember = { a: 0, b: 0 };
      const subscriptionA = await a.consume("work", "g", (delivery) => (byMember.a++, delivery.ack()));
      await b.consume("work", "g", (delivery) => (byMember.b++, delivery.ack()));
      for (let i = 0; i < 80; i++) await producer.publish("work", new Uint8Array([i]), { key: `k${i}` });
      await until(() => byMember.a + byMember.b === 80, "80 deliveries");
      expect(byMember.a).to.be.greaterThan(0);
      expect(byMember.b).to.be.greaterThan(0);
      const owners = new Set((await producer.stats()).topics.find((t) => t.name === "work")!.groups[0]!.partitions.map((p) => p.owner));
      expect(owners.size).to.equal(2);

      await subscriptionA.unsubscribe();
      const before = byMember.b;
      for (let i = 0; i < 40; i++) await producer.publish("work", new Uint8Array([i]), { key: `k${i}` });
      await until(() => byMember.b === before + 40, "40 deliveries to the remaining member");
      const group = (await producer.stats()).topics.find((t) => t.name === "work")!.groups[0]!;
      expect(group.consumers).to.equal(1);
      expect(new Set(group.partitions.map((p) => p.owner)).size).to.equal(1);
    });

    it("holds back later messages of a key while an earlier one waits for redelivery", async () => {
      const producer = await harness().transport();
      const consumer = await harness().transport();
      const order: string[] = [];
      let failedOnce = false;
      const release = gate();
      await consumer.consume(
        "ordered",
        "g",
        (delivery) => {
          const label = `${delivery.key}:${delivery.bytes[0]}`;
          order.push(label);
          if (label === "a:1" && !failedOnce) {
            failedOnce = true;
            void release.promise.then(() => delivery.nack());
            return;
          }
          delivery.ack();
        },
        { prefetch: 10, ordered: true },
      );
      await producer.publish("ordered", new Uint8Array([1]), { key: "a" });
      await producer.publish("ordered", new Uint8Array([2]), { key: "a" });
      await producer.publish("ordered", new Uint8Array([1]), { key: "b" });
      await until(() => order.includes("b:1"), "key b");
      expect(order).to.not.include("a:2");
      release.open();
      await until(() => order.includes("a:2"), "a:2");
      expect(order.filter((label) => label.startsWith("a"))).to.deep.equal(["a:1", "a:1", "a:2"]);
    });
  });
}
