import { expect } from "chai";
import fc from "fast-check";
import { decodeCounted, decodeValue, encodeValue } from "../../packages/ferry/src/core/wire/codec.js";
import { MalformedMessageError, PayloadTooLargeError } from "../../packages/ferry/src/core/errors.js";
import { FerryError } from "../../packages/ferry/src/core/errors.js";

function nestedArrays(depth: number): Uint8Array {
  const bytes = new Uint8Array(depth + 1).fill(0x91);
  bytes[depth] = 0xc0;
  return bytes;
}

/** What decoding does to a `__proto__` key (msgpackr renames it, so no prototype is ever set). */
function defused(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(defused);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key === "__proto__" ? "__proto_" : key] = defused((value as Record<string, unknown>)[key]);
  return out;
}

describe("codec", () => {
  it("counts the entries of every map in a value, nested ones and those in arrays included", () => {
    const value = { a: 1, b: { c: [{ d: 1, e: 2 }, { f: {} }], g: new Date(0) }, h: [1, "x"] };
    expect(decodeCounted(encodeValue(value))).to.deep.equal({ value, mapEntries: 8 });
    // A map of 16 or more entries is written as map 16, whose length is two bytes.
    const wide = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, { x: i }]));
    expect(decodeCounted(encodeValue(wide)).mapEntries).to.equal(40);
  });

  it("round-trips every type msgpack carries: Date, bytes, bigint, undefined, null, nesting", () => {
    const value = { d: new Date(5), u: new Uint8Array([1, 2]), small: 7n, big: 2n ** 100n, neg: -(2n ** 70n), none: null, gone: undefined, list: [1, [2, [3]]], s: "✓" };
    const decoded = decodeValue(encodeValue(value)) as typeof value;
    expect(decoded.d.getTime()).to.equal(5);
    expect([...decoded.u]).to.deep.equal([1, 2]);
    expect(decoded.small).to.equal(7n);
    expect(decoded.big).to.equal(2n ** 100n);
    expect(decoded.neg).to.equal(-(2n ** 70n));
    expect(decoded.none).to.equal(null);
    expect("gone" in decoded && decoded.gone === undefined).to.equal(true);
    expect(decoded.list).to.deep.equal([1, [2, [3]]]);
    expect(decoded.s).to.equal("✓");
  });

  it("accepts nesting up to maxDepth and refuses one level more", () => {
    expect(() => decodeValue(nestedArrays(64), { maxBytes: 1024, maxDepth: 64 })).to.not.throw();
    expect(() => decodeValue(nestedArrays(65), { maxBytes: 1024, maxDepth: 64 })).to.throw(MalformedMessageError, "nesting deeper than 64");
  });

  it("refuses 100,000 levels of nesting without overflowing the stack", () => {
    expect(() => decodeValue(nestedArrays(100_000), { maxBytes: 1 << 20, maxDepth: 64 })).to.throw(MalformedMessageError);
  });

  it("refuses a container that claims more items than the buffer holds, before allocating", () => {
    expect(() => decodeValue(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff]))).to.throw(MalformedMessageError, "claims 4294967295 items");
    expect(() => decodeValue(new Uint8Array([0xdf, 0x7f, 0xff, 0xff, 0xff, 0xc0]))).to.throw(MalformedMessageError, "claims");
  });

  it("refuses truncated values, trailing bytes and the reserved byte", () => {
    expect(() => decodeValue(new Uint8Array([0x92, 0x01]))).to.throw(MalformedMessageError, "container claims 2 items");
    expect(() => decodeValue(new Uint8Array([0x93, 0x01, 0x02, 0xcb, 0x00]))).to.throw(MalformedMessageError, "truncated");
    expect(() => decodeValue(new Uint8Array([0xd9, 0x05, 0x61]))).to.throw(MalformedMessageError, "truncated");
    expect(() => decodeValue(new Uint8Array([0x01, 0x02]))).to.throw(MalformedMessageError, "1 trailing bytes");
    expect(() => decodeValue(new Uint8Array([0xc1]))).to.throw(MalformedMessageError, "reserved byte 0xc1");
    expect(() => decodeValue(new Uint8Array([]))).to.throw(MalformedMessageError, "truncated");
  });

  it("refuses extension types a payload has no business carrying", () => {
    // fixext 1 of type 0x65 ('e', msgpackr's Error) and type 0x78 (RegExp).
    expect(() => decodeValue(new Uint8Array([0xd4, 0x65, 0x00]))).to.throw(MalformedMessageError, "unsupported extension type 101");
    expect(() => decodeValue(new Uint8Array([0xc7, 0x01, 0x78, 0x00]))).to.throw(MalformedMessageError, "unsupported extension type 120");
    expect(() => decodeValue(new Uint8Array([0xd6, 0xff, 0, 0]))).to.throw(MalformedMessageError, "truncated");
  });

  it("refuses a message over maxBytes before reading it", () => {
    expect(() => decodeValue(new Uint8Array(11), { maxBytes: 10, maxDepth: 4 })).to.throw(PayloadTooLargeError);
  });

  it("defuses __proto__ keys instead of polluting prototypes", () => {
    const decoded = decodeValue(encodeValue(JSON.parse('{"__proto__": {"polluted": true}}'))) as object;
    expect(Object.getPrototypeOf(decoded)).to.equal(Object.prototype);
    expect(({} as { polluted?: boolean }).polluted).to.equal(undefined);
  });

  it("round-trips any JSON-like value, with __proto__ keys defused (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        expect(decodeValue(encodeValue(value))).to.deep.equal(defused(JSON.parse(JSON.stringify(value))));
      }),
      { numRuns: 300 },
    );
  });

  it("round-trips a value holding a __proto__ key, with that key renamed __proto_", () => {
    expect(decodeValue(encodeValue(JSON.parse('[{"__proto__": {}, "a": 1}]')))).to.deep.equal([{ __proto_: {}, a: 1 }]);
  });

  it("answers any random bytes with a value or a FerryError, never anything else (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeValue(bytes);
        } catch (error) {
          expect(error).to.be.instanceOf(FerryError);
        }
      }),
      { numRuns: 3_000 },
    );
  });
});
