import { expect } from "chai";
import fc from "fast-check";
import { MalformedMessageError } from "../../packages/ferry/src/core/errors.js";
import { decodeBundle, encodeBundle, type BundleItem } from "../../packages/ferry/src/transports/rabbitmq/bundle-codec.js";

const item: fc.Arbitrary<BundleItem> = fc.record(
  { bytes: fc.uint8Array({ maxLength: 64 }), key: fc.string({ maxLength: 20 }), expiresAt: fc.integer({ min: 0, max: 2 ** 50 }) },
  { requiredKeys: ["bytes"] },
);

describe("rabbitmq bundle codec", () => {
  it("reads back every item it wrote: bytes, key and deadline, in order", () => {
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 20 }), (items) => {
        const read = decodeBundle(encodeBundle(items), items.length);
        expect(read.map((one) => ({ ...one, bytes: [...one.bytes] }))).to.deep.equal(items.map((one) => ({ ...one, bytes: [...one.bytes] })));
      }),
    );
  });

  it("refuses a body cut short, with bytes left over, or with another count, MALFORMED_MESSAGE", () => {
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 8 }), fc.nat(), (items, cut) => {
        const body = encodeBundle(items);
        const refusals = [
          () => decodeBundle(body.subarray(0, cut % body.length), items.length),
          () => decodeBundle(Buffer.concat([body, Buffer.from([0])]), items.length),
          () => decodeBundle(body, items.length + 1),
          () => decodeBundle(body, 0),
        ];
        for (const refusal of refusals) expect(refusal).to.throw(MalformedMessageError);
      }),
    );
  });
});
