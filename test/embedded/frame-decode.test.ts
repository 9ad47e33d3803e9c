import { expect } from "chai";
import { encodeValue } from "../../packages/ferry/src/core/wire/codec.js";
import { ErrorCode } from "../../packages/ferry/src/core/errors.js";
import { frameSchema, type FieldKind } from "../../packages/ferry/src/broker/protocol/frame-schema.js";
import { decodeFrame, encodeFrame, MalformedFrameError, Op, opName, type Frame, type FrameOf } from "../../packages/ferry/src/broker/protocol/protocol.js";

const MAX_FRAME = 1024 * 1024 + 4096;
const bytes = new Uint8Array([1, 2, 3]);

/** A valid frame of every op, every field set (the compiler asks for each op). */
const valid: { [K in Op]: FrameOf<K> } = {
  [Op.Hello]: [Op.Hello, "secret", "client"],
  [Op.Publish]: [Op.Publish, 1, "orders", bytes, "key-1", 1_700_000_000_000, true, true, true],
  [Op.Consume]: [Op.Consume, 2, 7, "orders", "workers", 64, true],
  [Op.Unsubscribe]: [Op.Unsubscribe, 3, 7],
  [Op.Ack]: [Op.Ack, 11],
  [Op.Nack]: [Op.Nack, 11, 250, "TIMEOUT", "took too long"],
  [Op.Reject]: [Op.Reject, 11, "INVALID_ARGUMENT", "bad order"],
  [Op.OpenReplyQueue]: [Op.OpenReplyQueue, 4, "reply.abc", "00ff"],
  [Op.CloseReplyQueue]: [Op.CloseReplyQueue, "reply.abc"],
  [Op.Reply]: [Op.Reply, "reply.abc", bytes],
  [Op.DeclareTopic]: [Op.DeclareTopic, 5, "orders", { partitions: 4, durable: true }],
  [Op.Stats]: [Op.Stats, 6],
  [Op.Ping]: [Op.Ping],
  [Op.ReplyAck]: [Op.ReplyAck, 11, "reply.abc", bytes],
  [Op.Browse]: [Op.Browse, 12, "orders.dlq", "0:41", 256],
  [Op.Remove]: [Op.Remove, 13, "orders.dlq", ["0:42"]],
  [Op.Welcome]: [Op.Welcome, "ferry-broker/1"],
  [Op.Ok]: [Op.Ok, 1, { name: "reply.abc", secret: "00ff" }],
  [Op.Error]: [Op.Error, 1, { code: "QUEUE_FULL", message: "full", retryable: true }],
  [Op.Delivery]: [Op.Delivery, 7, 11, 3, 42, 1, 5, "key-1", bytes],
  [Op.ReplyMessage]: [Op.ReplyMessage, "reply.abc", bytes],
  [Op.Pong]: [Op.Pong],
  [Op.Fatal]: [Op.Fatal, { code: "SLOW_CONSUMER", message: "not reading", retryable: false }],
  [Op.Confirmed]: [Op.Confirmed, 9],
};

/** A value of another kind than `kind`, for each kind a field can be wrong for. */
const wrongValue: Record<Exclude<FieldKind, "any">, unknown> = { string: 7, number: "7", bytes: "bytes", boolean: 1, map: ["not", "a", "map"] };

/**
 * The frame's bytes as any msgpack encoder writes them, whatever its fields hold: map and `any`
 * fields ride as msgpack inside bin. Independent of `encodeFrame`, which only takes typed frames.
 */
function raw(op: Op, fields: readonly unknown[]): Uint8Array {
  const specs = frameSchema[op];
  return encodeValue([op, ...fields.map((value, i) => (specs[i] !== undefined && (specs[i].kind === "map" || specs[i].kind === "any") && value !== null ? encodeValue(value) : value))]);
}

function decodeError(bytes: Uint8Array): MalformedFrameError {
  try {
    decodeFrame(bytes, MAX_FRAME);
  } catch (error) {
    if (error instanceof MalformedFrameError) return error;
    throw error;
  }
  expect.fail("the frame decoded");
}

const ops = Object.values(Op);

describe("TCP frames: each op's frame decodes to its tuple", () => {
  for (const op of ops) {
    it(`decodes a valid ${opName(op)} frame, every field as sent`, () => {
      const frame: Frame = valid[op];
      expect(decodeFrame(encodeFrame(frame).subarray(4), MAX_FRAME)).to.deep.equal(frame);
    });
  }

  it("decodes a Publish from an older client, without lazyConfirm and durable, leaving them absent", () => {
    const decoded = decodeFrame(raw(Op.Publish, [1, "orders", bytes, null, null, false]), MAX_FRAME);
    expect(decoded).to.deep.equal([Op.Publish, 1, "orders", bytes, null, null, false]);
    expect(decoded).to.have.length(7);
  });

  it("decodes nil as null in the fields that allow it", () => {
    expect(decodeFrame(raw(Op.Publish, [1, "orders", bytes, null, null, false, false, false]), MAX_FRAME)).to.deep.equal([Op.Publish, 1, "orders", bytes, null, null, false, false, false]);
    expect(decodeFrame(raw(Op.Ok, [1, null]), MAX_FRAME)).to.deep.equal([Op.Ok, 1, null]);
  });

  it("writes frames byte for byte as the layout-string codec before typed frames did", () => {
    // Hex of what commit 56dc50d's encodeFrame wrote for the same frames.
    const before: [Frame, string][] = [
      [[Op.Publish, 1, "t", new Uint8Array([1]), null, null, false, true, false], "0000000fdc00090201a174c40101c0c0c2c3c2"],
      [[Op.Error, 3, { code: "X", message: "m", retryable: false }], "00000024dc00031603c41d83a4636f6465a158a76d657373616765a16da9726574727961626c65c2"],
      [[Op.Delivery, 7, 300, 3, 1.5, 1, 5, "k", new Uint8Array([9])], "0000001bdc00091707ce0000012c03cb3ff80000000000000105a16bc40109"],
    ];
    for (const [frame, hex] of before) expect(encodeFrame(frame).toString("hex")).to.equal(hex);
  });
});

describe("TCP frames: a field that does not fit its op's schema is named", () => {
  for (const op of ops) {
    const specs = frameSchema[op];
    const fields = valid[op].slice(1);
    specs.forEach((spec, i) => {
      if (spec.kind !== "any") {
        it(`${opName(op)}: ${spec.name} of the wrong type is a MalformedFrameError naming ${opName(op)}.${spec.name}`, () => {
          const error = decodeError(raw(op, fields.map((value, at) => (at === i ? wrongValue[spec.kind] : value))));
          expect([error.op, error.field, error.code]).to.deep.equal([opName(op), spec.name, ErrorCode.MalformedMessage]);
          expect(error.message).to.include(`${opName(op)}.${spec.name}`);
        });
      }
      if (!spec.nil && spec.kind !== "any") {
        it(`${opName(op)}: ${spec.name} sent as nil is a MalformedFrameError naming ${opName(op)}.${spec.name}`, () => {
          const error = decodeError(raw(op, fields.map((value, at) => (at === i ? null : value))));
          expect([error.op, error.field]).to.deep.equal([opName(op), spec.name]);
          expect(error.message).to.equal(`frame field ${opName(op)}.${spec.name}: expected ${spec.kind === "bytes" ? "bytes" : `a ${spec.kind}`}, got nil`);
        });
      }
      if (!spec.added) {
        it(`${opName(op)}: a frame that ends before ${spec.name} is a MalformedFrameError naming it as missing`, () => {
          const error = decodeError(raw(op, fields.slice(0, i)));
          expect([error.op, error.field]).to.deep.equal([opName(op), spec.name]);
          expect(error.message).to.match(new RegExp(`^frame ${opName(op)} needs .* fields?, got ${i}: ${spec.name} is missing$`));
        });
      }
    });
    it(`${opName(op)}: a frame with a field too many is a MalformedFrameError naming the op`, () => {
      const error = decodeError(raw(op, [...fields, 1]));
      expect([error.op, error.field]).to.deep.equal([opName(op), undefined]);
    });
  }

  it("names an op that is none, and a frame that is not an array", () => {
    expect(decodeError(encodeValue([99])).op).to.equal("99");
    expect(decodeError(encodeValue({ op: 1 })).op).to.equal(undefined);
  });

  it("names the field a truncated frame ends in", () => {
    const whole = raw(Op.Publish, valid[Op.Publish].slice(1));
    const error = decodeError(whole.subarray(0, 6)); // array, op, requestId, then 2 of the topic's 6 characters
    expect([error.op, error.field]).to.deep.equal(["Publish", "topic"]);
    expect(error.message).to.equal("frame field Publish.topic: truncated");
  });
});
