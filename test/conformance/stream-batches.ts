import { expect } from "chai";
import { defineService, stream } from "../../packages/ferry/src/core/definition.js";
import { InternalError, MalformedMessageError, ProtocolError } from "../../packages/ferry/src/core/errors.js";
import { encodeItemBatch } from "../../packages/ferry/src/core/stream/item-batch.js";
import type { Delivery } from "../../packages/ferry/src/core/transport.js";
import { decodeValue, encodeValue } from "../../packages/ferry/src/core/wire/codec.js";
import { decodeEnvelope, encodeEnvelope, MessageKind, type Envelope } from "../../packages/ferry/src/core/wire/envelope.js";
import { Counter, counterImpl, counterProbe } from "../support/stream-services.js";
import { until } from "../support/wait.js";
import { useHarness, type ConformanceTarget } from "./harness.js";
import { drain, itemsIn, rawInbox } from "./streams.js";

/** A batch body of `{ n }` items numbered from `first`. */
function batchOf(first: number, count: number): Uint8Array {
  const items = Array.from({ length: count }, (_, index) => encodeValue({ n: first + index }));
  return encodeItemBatch(items, items.reduce((bytes, item) => bytes + item.length, 0));
}

/** The items of `messages` decoded, in the order they came. */
function decodedItems(messages: readonly Envelope[]): unknown[] {
  return messages.flatMap((message) => {
    if (message.kind === MessageKind.StreamItem) return [decodeValue(message.body!)];
    if (message.kind === MessageKind.StreamItems) return decodeValue(message.body!) as unknown[];
    return [];
  });
}

/**
 * A server sends the items its generator has at hand in one turn as one `StreamItems` message
 * (up to the message limit), so small items do not each pay for a message. These check the
 * batches on the wire, and that a client refuses a bad batch as it refuses a bad item.
 */
export function describeStreamBatches(target: ConformanceTarget): void {
  describe("stream batches", () => {
    const harness = useHarness(target);

    async function requestRaw(count: number, window: number) {
      const raw = await harness().transport();
      const inbox = await rawInbox(raw);
      await raw.publish(
        "svc.Counter",
        encodeEnvelope({ kind: MessageKind.Request, id: "raw", correlationId: "r", replyTo: inbox.name, service: "Counter", method: "count", body: encodeValue({ count }), sequence: window }),
      );
      await until(() => inbox.messages.some((message) => message.kind === MessageKind.StreamEnd), "the stream's end");
      return inbox;
    }

    it("sends the items a generator has at hand as batches: fewer messages than items, numbered without a gap", async () => {
      const server = await harness().runtime();
      await server.serve(Counter, counterImpl(counterProbe()));
      const inbox = await requestRaw(50, 64);
      const itemMessages = inbox.messages.filter((message) => message.kind === MessageKind.StreamItem || message.kind === MessageKind.StreamItems);
      expect(itemMessages.some((message) => message.kind === MessageKind.StreamItems)).to.equal(true);
      expect(itemMessages.length).to.be.below(50);
      let next = 0;
      for (const message of itemMessages) {
        expect(message.sequence).to.equal(next);
        next += itemsIn([message]);
      }
      expect(decodedItems(itemMessages)).to.deep.equal(Array.from({ length: 50 }, (_, n) => ({ n })));
      expect(inbox.messages.at(-1)).to.include({ kind: MessageKind.StreamEnd, sequence: 50 });
    });

    it("keeps every batch within the message limit, splitting a turn's items over several messages", async () => {
      const maxBytes = 2_048;
      const server = await harness().runtime({ decodeLimits: { maxBytes, maxDepth: 64 } });
      await server.serve(Counter, counterImpl(counterProbe()));
      const raw = await harness().transport();
      const inbox = await rawInbox(raw);
      await raw.publish(
        "svc.Counter",
        encodeEnvelope({ kind: MessageKind.Request, id: "big", correlationId: "b", replyTo: inbox.name, service: "Counter", method: "count", body: encodeValue({ count: 20, size: 500 }), sequence: 64 }),
      );
      await until(() => inbox.messages.some((message) => message.kind === MessageKind.StreamEnd), "the stream's end");
      const items = inbox.messages.filter((message) => message.kind === MessageKind.StreamItems);
      expect(items.length).to.be.above(1);
      for (const [index, message] of inbox.messages.entries()) expect(inbox.sizes[index], `message ${index} (kind ${message.kind})`).to.be.at.most(maxBytes);
      expect(itemsIn(inbox.messages)).to.equal(20);
      expect(decodedItems(inbox.messages).map((item) => (item as { n: number }).n)).to.deep.equal([...Array(20).keys()]);
    });

    it("fails a bad batch (a gap, beyond the credit, malformed, an item outside its contract) with a typed error after the items before it", async () => {
      // The client checks items against the contract only with validateResponses: item 2 breaks it.
      const Checked = defineService("Counter", {
        count: stream<{ pad?: string }, { n: number }>({
          validateResponse: (value) => ((value as { n: number }).n === 2 ? [{ path: "n", message: "must not be 2" }] : []),
        }),
      });
      const fake = await harness().transport();
      const plans: Record<string, (to: string, correlationId: string) => Envelope[]> = {
        gap: (_, correlationId) => [
          { kind: MessageKind.StreamItems, correlationId, sequence: 0, body: batchOf(0, 2) },
          { kind: MessageKind.StreamItems, correlationId, sequence: 3, body: batchOf(3, 2) },
        ],
        overrun: (_, correlationId) => [
          { kind: MessageKind.StreamItem, correlationId, sequence: 0, body: encodeValue({ n: 0 }) },
          { kind: MessageKind.StreamItems, correlationId, sequence: 1, body: batchOf(1, 2) },
        ],
        notArray: (_, correlationId) => [
          { kind: MessageKind.StreamItems, correlationId, sequence: 0, body: batchOf(0, 1) },
          { kind: MessageKind.StreamItems, correlationId, sequence: 1, body: encodeValue({ n: 1 }) },
        ],
        empty: (_, correlationId) => [
          { kind: MessageKind.StreamItems, correlationId, sequence: 0, body: batchOf(0, 1) },
          { kind: MessageKind.StreamItems, correlationId, sequence: 1, body: encodeValue([]) },
        ],
        contract: (_, correlationId) => [{ kind: MessageKind.StreamItems, correlationId, sequence: 0, body: batchOf(0, 4) }],
      };
      await fake.consume("svc.Counter", "Counter", (delivery: Delivery) => {
        const request = decodeEnvelope(delivery.bytes);
        const plan = plans[(decodeValue(request.body!) as { pad: string }).pad]!;
        delivery.ack();
        fake.reply(request.replyTo!, encodeEnvelope({ kind: MessageKind.Started, correlationId: request.correlationId, replyTo: "nowhere" }));
        for (const message of plan(request.replyTo!, request.correlationId!)) fake.reply(request.replyTo!, encodeEnvelope(message));
      });
      const client = await harness().runtime({ validateResponses: true });
      const outcome = (pad: string, window = 64) => drain(client.stream(Checked.methods.count, { pad }, { window }));

      const gap = await outcome("gap");
      expect(gap.items).to.deep.equal([{ n: 0 }, { n: 1 }]);
      expect(gap.error).to.be.instanceOf(ProtocolError);
      expect(gap.error?.message).to.contain("item 3 of Counter.count arrived where item 2 was due");

      // A batch that passes the credit is refused whole: none of it was allowed. The consumer takes
      // nothing until the stream has failed, so the credit stays at the window.
      const iterator = client.stream(Checked.methods.count, { pad: "overrun" }, { window: 2 })[Symbol.asyncIterator]();
      await until(() => client.stats().then((stats) => stats.client.openStreams === 0), "the overrun to end the stream");
      const overrun = await drain({ [Symbol.asyncIterator]: () => iterator });
      expect(overrun.items).to.deep.equal([{ n: 0 }]);
      expect(overrun.error).to.be.instanceOf(ProtocolError);
      expect(overrun.error?.message).to.contain("item 2 of Counter.count is beyond the credit of 2 items");

      for (const pad of ["notArray", "empty"]) {
        const malformed = await outcome(pad);
        expect(malformed.items, pad).to.deep.equal([{ n: 0 }]);
        expect(malformed.error, pad).to.be.instanceOf(MalformedMessageError);
        expect(malformed.error?.message, pad).to.contain("a batch of stream items must be a non-empty array");
      }

      const contract = await outcome("contract");
      expect(contract.items).to.deep.equal([{ n: 0 }, { n: 1 }]);
      expect(contract.error).to.be.instanceOf(InternalError);
      expect(contract.error?.message).to.contain("item 2 of Counter.count is outside its contract: n: must not be 2");
      expect((await client.stats()).client).to.include({ openStreams: 0 });
    });
  });
}
