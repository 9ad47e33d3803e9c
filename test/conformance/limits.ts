import { expect } from "chai";
import { encodeValue } from "../../packages/ferry/src/core/wire/codec.js";
import { decodeDeadLetter } from "../../packages/ferry/src/core/wire/dead-letter.js";
import { decodeEnvelope, encodeEnvelope, MessageKind } from "../../packages/ferry/src/core/wire/envelope.js";
import { PayloadTooLargeError, QueueFullError, TimeoutError } from "../../packages/ferry/src/core/errors.js";
import type { Delivery, Transport } from "../../packages/ferry/src/core/transport.js";
import { Calculator, calculatorImpl } from "../support/services.js";
import { rejection, turn, until } from "../support/wait.js";
import { useHarness, type ConformanceTarget } from "./harness.js";

const calculator = calculatorImpl;

/** Nests `depth` arrays: [[[...]]]. */
function nested(depth: number): Uint8Array {
  const bytes = new Uint8Array(depth + 1).fill(0x91);
  bytes[depth] = 0xc0;
  return bytes;
}

export function describeLimits(target: ConformanceTarget): void {
  describe("limits and bad input", () => {
    const harness = useHarness(target);

    it("fails a call at once with QUEUE_FULL when maxPendingCalls are pending", async () => {
      const producer = await harness().transport();
      await producer.consume("svc.Calculator", "Calculator", () => undefined, { prefetch: 1 });
      const client = await harness().runtime({ maxPendingCalls: 2 });
      const pending = [1, 2].map(() => rejection(client.call(Calculator.methods.add, { a: 1, b: 1 }, { timeoutMs: 5_000 })));
      const error = await rejection(client.call(Calculator.methods.add, { a: 1, b: 1 }));
      expect(error).to.be.instanceOf(QueueFullError);
      await harness().clock.tick(5_000);
      for (const outcome of pending) expect(await outcome).to.be.instanceOf(TimeoutError);
    });

    it("rejects a publish to a full partition with QUEUE_FULL, and keeps what it held", async () => {
      const producer = await harness().transport();
      await producer.declareTopic("bounded", { partitions: 1, maxLength: 2, overflow: "reject" });
      await producer.publish("bounded", new Uint8Array([1]));
      await producer.publish("bounded", new Uint8Array([2]));
      const error = await rejection(producer.publish("bounded", new Uint8Array([3])));
      expect(error).to.be.instanceOf(QueueFullError);
      const received: number[] = [];
      await producer.consume("bounded", "g", (delivery) => (received.push(delivery.bytes[0]!), delivery.ack()));
      await until(() => received.length === 2, "two messages");
      expect(received).to.deep.equal([1, 2]);
    });

    /** A drop-oldest partition of two that was given three messages: what reaches a consumer. */
    async function overflowDropOldest(): Promise<{ producer: Transport; received: number[] }> {
      const producer = await harness().transport();
      await producer.declareTopic("lossy", { partitions: 1, maxLength: 2, overflow: "drop-oldest" });
      for (const value of [1, 2, 3]) await producer.publish("lossy", new Uint8Array([value]));
      const received: number[] = [];
      await producer.consume("lossy", "g", (delivery) => (received.push(delivery.bytes[0]!), delivery.ack()));
      await until(() => received.length === 2, "two messages");
      return { producer, received };
    }

    it("drops the oldest message of a full drop-oldest partition", async () => {
      const { received } = await overflowDropOldest();
      await turn();
      expect(received).to.deep.equal([2, 3]);
    });

    it("counts the message a full drop-oldest partition dropped", async () => {
      const { producer } = await overflowDropOldest();
      const partition = (await producer.stats()).topics.find((t) => t.name === "lossy")!.partitions[0]!;
      expect(partition.dropped).to.equal(1);
    });

    it("refuses a message over the size limit with PAYLOAD_TOO_LARGE", async () => {
      const producer = await harness().transport();
      const error = await rejection(producer.publish("big", new Uint8Array(1024 * 1024 + 1)));
      expect(error).to.be.instanceOf(PayloadTooLargeError);
    });

    it("leaves no pending call, timer or router entry behind after 100,000 timed-out calls", async function () {
      this.timeout(120_000);
      const sink = await harness().transport();
      // A consumer that takes one request and never answers: every call times out.
      await sink.consume("svc.Calculator", "Calculator", () => undefined, { prefetch: 1 });
      await sink.declareTopic("svc.Calculator", { maxLength: 200_000 });
      const client = await harness().runtime({ maxPendingCalls: 100_000 });
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < 100_000; i++) calls.push(client.call(Calculator.methods.add, { a: i, b: i }, { timeoutMs: 1_000 }).catch((error: unknown) => error));
      expect((await client.stats()).client.pending).to.equal(100_000);
      await harness().clock.tick(1_000);
      const outcomes = await Promise.all(calls);
      expect(outcomes.every((outcome) => outcome instanceof TimeoutError)).to.equal(true);
      expect((await client.stats()).client).to.deep.equal({ pending: 0, timers: 0, unknownReplies: 0, malformedReplies: 0, openStreams: 0 });
    });

    it("dead-letters malformed requests and keeps serving good ones", async () => {
      const server = await harness().runtime();
      await server.serve(Calculator, calculator);
      const attacker = await harness().transport();
      const dead: Delivery[] = [];
      await attacker.consume("svc.Calculator.dlq", "inspector", (delivery) => void dead.push(delivery));
      const garbage = [
        new Uint8Array([0xc1]),
        new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff]),
        nested(100_000),
        encodeValue({ not: "an envelope" }),
        encodeValue([1, 99, null, null, null, null, null, null, null, null, null, null, null, null, null, null]),
        new Uint8Array(Buffer.from("{\"json\":true}")),
      ];
      for (const bytes of garbage) await attacker.publish("svc.Calculator", bytes);
      await until(() => dead.length === garbage.length, "every malformed message dead-lettered");
      for (const delivery of dead) expect(decodeDeadLetter(delivery.bytes).error.code).to.equal("MALFORMED_MESSAGE");
      const client = await harness().runtime();
      expect(await client.call(Calculator.methods.add, { a: 1, b: 1 })).to.deep.equal({ sum: 2 });
      expect((await server.stats()).servers["Calculator#Calculator"]!.malformed).to.equal(garbage.length);
    });

    it("answers a request whose body is malformed with INVALID_ARGUMENT", async () => {
      const server = await harness().runtime();
      await server.serve(Calculator, calculator);
      const client = await harness().runtime();
      const attacker = await harness().transport();
      const queue = await attacker.openReplyQueue();
      const replies: Uint8Array[] = [];
      queue.messages.subscribe((bytes) => replies.push(bytes));
      const request = encodeEnvelope({
        kind: MessageKind.Request,
        id: "call-1",
        correlationId: "c1",
        replyTo: queue.name,
        service: "Calculator",
        method: "add",
        body: nested(1_000),
      });
      await attacker.publish("svc.Calculator", request);
      await until(() => replies.length === 1, "the reply");
      const reply = decodeEnvelope(replies[0]!);
      expect(reply.error?.code).to.equal("INVALID_ARGUMENT");
      expect(reply.error?.message).to.contain("nesting deeper than 64");
      expect(await client.call(Calculator.methods.add, { a: 2, b: 2 })).to.deep.equal({ sum: 4 });
    });

    it("counts and drops garbage on a client's reply queue without disturbing its calls", async () => {
      const server = await harness().runtime();
      await server.serve(Calculator, calculator);
      const client = await harness().runtime();
      const attacker = await harness().transport();
      // A fake service that answers each request with garbage and with a reply to no call.
      await attacker.consume("svc.Spy", "Spy", (delivery) => {
        const { replyTo } = decodeEnvelope(delivery.bytes);
        attacker.reply(replyTo!, new Uint8Array([0xc1, 0x00]));
        attacker.reply(replyTo!, encodeEnvelope({ kind: MessageKind.Reply, correlationId: "nobody" }));
        delivery.ack();
      });
      const pending = rejection(client.call("Spy", "peek", {}, { timeoutMs: 5_000 }));
      await until(async () => (await client.stats()).client.unknownReplies === 1, "the stray reply");
      await harness().clock.tick(5_000);
      expect(await pending).to.be.instanceOf(TimeoutError);
      expect((await client.stats()).client).to.include({ malformedReplies: 1, unknownReplies: 1, pending: 0 });
      expect(await client.call(Calculator.methods.add, { a: 3, b: 4 })).to.deep.equal({ sum: 7 });
    });
  });
}
