import { expect } from "chai";
import { deadLetterTopic, MalformedMessageError, readDeadLetter } from "../../packages/ferry/src/index.js";
import { encodeDeadLetter } from "../../packages/ferry/src/core/wire/dead-letter.js";
import { encodeValue } from "../../packages/ferry/src/core/wire/codec.js";
import { encodeEnvelope, MessageKind } from "../../packages/ferry/src/core/wire/envelope.js";

const record = { origin: { topic: "svc.Shop", partition: 2, offset: 41 }, key: "o-7", deliveryCount: 5, error: { code: "NACKED", message: "no" }, deadLetteredAt: 1_700_000_000_000 };

describe("reading dead letters", () => {
  it("names a service's dead-letter topic", () => {
    expect(deadLetterTopic("Payments")).to.equal("svc.Payments.dlq");
  });

  it("reads an event's dead letter down to its payload and headers", () => {
    const bytes = encodeEnvelope({ kind: MessageKind.Event, id: "c-1", service: "Shop", method: "placed", idempotencyKey: "k-1", headers: { traceparent: "00-x" }, body: encodeValue({ orderId: "o-7" }) });
    const letter = readDeadLetter(encodeDeadLetter({ ...record, bytes }));
    expect(letter).to.deep.include({ kind: "event", service: "Shop", method: "placed", callId: "c-1", idempotencyKey: "k-1", key: "o-7", unreadable: undefined, deliveryCount: 5 });
    expect(letter.request).to.deep.equal({ orderId: "o-7" });
    expect(letter.headers).to.deep.equal({ traceparent: "00-x" });
    expect(letter.bytes).to.deep.equal(bytes);
  });

  it("keeps a dead letter whose message was malformed, saying why it cannot be read", () => {
    const letter = readDeadLetter(encodeDeadLetter({ ...record, bytes: Uint8Array.of(1, 2, 3) }));
    expect(letter.kind).to.equal(undefined);
    expect(letter.unreadable).to.be.a("string").and.not.equal("");
    expect(letter.error.code).to.equal("NACKED");
    expect([...letter.bytes]).to.deep.equal([1, 2, 3]);
  });

  it("refuses bytes that are not a dead letter with MalformedMessageError", () => {
    expect(() => readDeadLetter(encodeValue({ hello: 1 }))).to.throw(MalformedMessageError);
  });
});
