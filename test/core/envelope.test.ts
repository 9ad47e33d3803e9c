import { expect } from "chai";
import fc from "fast-check";
import { encodeValue } from "../../packages/ferry/src/core/wire/codec.js";
import { decodeEnvelope, encodeEnvelope, MessageKind, type Envelope } from "../../packages/ferry/src/core/wire/envelope.js";
import { FerryError, MalformedMessageError } from "../../packages/ferry/src/core/errors.js";

const full: Envelope = {
  kind: MessageKind.Request,
  id: "0192f3a4-5b6c-7d8e-9f00-112233445566",
  correlationId: "k3",
  replyTo: "_reply.1.abc",
  service: "Orders",
  method: "place",
  key: "clé-ünïcødé",
  idempotencyKey: "x".repeat(300),
  deadline: 1_700_000_000_123,
  attempt: 200,
  cancellable: true,
  headers: { traceparent: "00-abc-def-01" },
  body: encodeValue({ a: 1 }),
  error: { code: "E", message: "m", retryable: false, data: { n: 1 } },
};

describe("envelope", () => {
  it("round-trips every field, including non-ASCII and long strings", () => {
    const decoded = decodeEnvelope(encodeEnvelope(full));
    expect({ ...decoded, body: [...decoded.body!] }).to.deep.equal({ ...full, body: [...full.body!] });
  });

  it("round-trips a minimal envelope, leaving absent fields absent", () => {
    expect(decodeEnvelope(encodeEnvelope({ kind: MessageKind.Reply, correlationId: "1" }))).to.deep.equal({ kind: MessageKind.Reply, correlationId: "1" });
  });

  it("carries a body larger than 64 KiB", () => {
    const body = new Uint8Array(70_000).fill(7);
    expect(decodeEnvelope(encodeEnvelope({ kind: MessageKind.Event, body })).body!.length).to.equal(70_000);
  });

  it("carries a stream's sequence number in the last field, and leaves messages without one as they were", () => {
    const item = { kind: MessageKind.StreamItem, correlationId: "1", sequence: 4_000_000_000, body: new Uint8Array([0xc0]) };
    expect(decodeEnvelope(encodeEnvelope(item))).to.deep.equal(item);
    // A hostile credit decodes as it was sent, for the stream code to refuse with a typed error.
    expect(decodeEnvelope(encodeEnvelope({ kind: MessageKind.Credit, id: "c", sequence: -5 })).sequence).to.equal(-5);
    expect(decodeEnvelope(encodeEnvelope({ kind: MessageKind.Credit, id: "c", sequence: 0.5 })).sequence).to.equal(0.5);
    const reply = encodeEnvelope({ kind: MessageKind.Reply, correlationId: "1" });
    expect(reply[reply.length - 1]).to.equal(0xc0);
  });

  it("names the field that is wrong", () => {
    const fields: unknown[] = [1, 1, "id", 5, null, null, null, null, null, null, null, null, null, null, null, null];
    expect(() => decodeEnvelope(encodeValue(fields))).to.throw(MalformedMessageError, "envelope field correlationId: expected a string");
    fields[3] = null;
    fields[0] = 2;
    expect(() => decodeEnvelope(encodeValue(fields))).to.throw(MalformedMessageError, "envelope field version");
    fields[0] = 1;
    fields[1] = 11;
    expect(() => decodeEnvelope(encodeValue(fields))).to.throw(MalformedMessageError, "envelope field kind");
    fields[1] = 6;
    fields[15] = "seven";
    expect(() => decodeEnvelope(encodeValue(fields))).to.throw(MalformedMessageError, "envelope field sequence");
    expect(() => decodeEnvelope(encodeValue({ kind: 1 }))).to.throw(MalformedMessageError, "envelope");
  });

  it("refuses every truncation of a valid envelope with MALFORMED_MESSAGE", () => {
    const bytes = encodeEnvelope(full);
    for (let length = 0; length < bytes.length; length++) {
      expect(() => decodeEnvelope(bytes.subarray(0, length)), `length ${length}`).to.throw(MalformedMessageError);
    }
  });

  it("answers random bytes and random mutations with an envelope or a FerryError only (property)", () => {
    const valid = encodeEnvelope(full);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(valid.length - 1), fc.nat(255), (random, at, byte) => {
        const mutated = Uint8Array.from(valid);
        mutated[at] = byte;
        for (const bytes of [random, mutated]) {
          try {
            decodeEnvelope(bytes);
          } catch (error) {
            expect(error).to.be.instanceOf(FerryError);
          }
        }
      }),
      { numRuns: 3_000 },
    );
  });
});
