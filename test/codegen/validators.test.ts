import { expect } from "chai";
import fc from "fast-check";
import { validateCancelledRequest, validatePlaceRequest, validatePlaceResponse, validateQuoteResponse } from "../../examples/services/generated/orders.validators.js";
import { validatePutResponse } from "./fixtures/bytes/expected/blobs.validators.js";
import { validateListRequest } from "./fixtures/generic/expected/catalog.validators.js";
import { validateCellsResponse } from "./fixtures/nested-arrays/expected/matrix.validators.js";
import { validateCountRequest, validateUpdateRequest } from "./fixtures/optional/expected/profiles.validators.js";
import { validateDepthRequest, validateEchoRequest } from "./fixtures/recursive/expected/trees.validators.js";
import { validateAreaRequest, validateDescribeRequest } from "./fixtures/unions/expected/shapes.validators.js";
import { validateGetResponse } from "./fixtures/alias/expected/users.validators.js";

const placeOrder = () => ({ orderId: "o-1", customerId: "c-1", items: [{ sku: "a", qty: 1 }, { sku: "b", qty: 2 }, { sku: "c", qty: 3 }] });

describe("generated validators", () => {
  it("accept a valid request and return the same frozen empty list every time (no allocation)", () => {
    const first = validatePlaceRequest(placeOrder());
    expect(first).to.deep.equal([]);
    expect(Object.isFrozen(first)).to.equal(true);
    expect(validatePlaceRequest({ ...placeOrder(), deliverBy: new Date(), note: "n" })).to.equal(first);
  });

  it("name the path of a wrong element inside an array", () => {
    const request = placeOrder();
    (request.items[2] as { qty: unknown }).qty = "3";
    expect(validatePlaceRequest(request)).to.deep.equal([{ path: "req.items[2].qty", message: "expected number" }]);
  });

  it("report every problem, not only the first", () => {
    expect(validatePlaceRequest({ orderId: 1, items: "x", deliverBy: "2020-01-01" })).to.deep.equal([
      { path: "req.orderId", message: "expected string" },
      { path: "req.customerId", message: "is required" },
      { path: "req.items", message: "expected array" },
      { path: "req.deliverBy", message: "expected Date" },
    ]);
  });

  it("reject a value that is not an object, null and arrays included", () => {
    for (const value of [null, undefined, "x", 1, [placeOrder()]]) {
      expect(validatePlaceRequest(value)).to.deep.equal([{ path: "req", message: "expected object" }]);
    }
  });

  it("check literal unions, bigint, Date and Uint8Array", () => {
    const placed = { orderId: "o", status: "accepted", totalCents: 1n, placedAt: new Date() };
    expect(validatePlaceResponse(placed)).to.deep.equal([]);
    expect(validatePlaceResponse({ ...placed, status: "lost", totalCents: 1, placedAt: 0 })).to.deep.equal([
      { path: "res.status", message: 'expected "accepted" | "backordered"' },
      { path: "res.totalCents", message: "expected bigint" },
      { path: "res.placedAt", message: "expected Date" },
    ]);
    expect(validatePutResponse({ digest: Uint8Array.of(1), stored: ["a", 1n] })).to.deep.equal([]);
    expect(validatePutResponse({ digest: [1], stored: ["a"] })).to.deep.equal([
      { path: "res.digest", message: "expected Uint8Array" },
      { path: "res.stored", message: "expected a tuple of 2 elements" },
    ]);
  });

  it("accept null where `| null` allows it and check the object otherwise", () => {
    expect(validateQuoteResponse(null)).to.deep.equal([]);
    expect(validateQuoteResponse({ sku: "a", qty: 1, unitCents: 2, currency: "GBP" })).to.deep.equal([{ path: "res.currency", message: 'expected "EUR" | "USD"' }]);
  });

  it("skip absent optional fields but check present ones", () => {
    expect(validateCancelledRequest({ orderId: "o" })).to.deep.equal([]);
    expect(validateCancelledRequest({ orderId: "o", reason: 3 })).to.deep.equal([{ path: "req.reason", message: "expected string" }]);
    expect(validateUpdateRequest({ id: "p", nickname: undefined, address: { street: 1 } })).to.deep.equal([{ path: "req.address.street", message: "expected string" }]);
    expect(validateListRequest({ limit: 1, cursor: null })).to.deep.equal([{ path: "req.cursor", message: "expected string" }]);
  });

  it("expect no request at all for a method without a parameter", () => {
    expect(validateCountRequest(undefined)).to.deep.equal([]);
    expect(validateCountRequest({ surprise: true })).to.deep.equal([{ path: "req", message: "expected undefined" }]);
  });

  it("check the matching member of a discriminated union in detail", () => {
    expect(validateAreaRequest({ shape: { kind: "circle", radius: 1 }, unit: "cm" })).to.deep.equal([]);
    expect(validateAreaRequest({ shape: { kind: "rect", width: 1 }, unit: "cm" })).to.deep.equal([{ path: "req.shape.height", message: "is required" }]);
    expect(validateAreaRequest({ shape: { kind: "hexagon" }, unit: "mm" })).to.deep.equal([
      { path: "req.shape.kind", message: 'expected "circle" | "rect"' },
      { path: "req.unit", message: 'expected "cm" | "in"' },
    ]);
  });

  it("check other unions member by member", () => {
    expect(validateDescribeRequest({ value: [1, 2], flag: null, level: 3 })).to.deep.equal([]);
    expect(validateDescribeRequest({ value: [1, "2"], flag: 0, level: 4 })).to.deep.equal([
      { path: "req.value", message: "expected string | array" },
      { path: "req.flag", message: "expected null | boolean" },
      { path: "req.level", message: "expected 1 | 2 | 3" },
    ]);
  });

  it("follow named recursive types, with the full path", () => {
    const tree = { label: "a", children: [{ label: "b", children: [{ label: 3, children: [] }] }] };
    expect(validateDepthRequest(tree)).to.deep.equal([{ path: "req.children[0].children[0].label", message: "expected string" }]);
    expect(validateEchoRequest({ payload: { a: [1, { b: new Date() }] } })).to.deep.equal([{ path: "req.payload", message: "expected null | boolean | number | string | array | object" }]);
  });

  it("check records key by key and tuples with a rest element", () => {
    const profile = { id: "u", displayName: "d", tags: [], settings: { a: 1, "b c": "2" } };
    expect(validateGetResponse(profile)).to.deep.equal([{ path: 'res.settings["b c"]', message: "expected number" }]);
    expect(validateCellsResponse([[{ row: 0, col: 0 }], [{ row: 0, col: 0 }, "a", 1]])).to.deep.equal([{ path: "res[1][2]", message: "expected string" }]);
  });

  describe("properties (fast-check)", () => {
    const lineItem = fc.record({ sku: fc.string(), qty: fc.double() });
    const order = fc.record(
      {
        orderId: fc.string(),
        customerId: fc.string(),
        items: fc.array(lineItem, { maxLength: 5 }),
        deliverBy: fc.date(),
        note: fc.string(),
      },
      { requiredKeys: ["orderId", "customerId", "items"] },
    );
    const wrong = { string: fc.oneof(fc.double(), fc.boolean(), fc.constant(null)), number: fc.oneof(fc.string(), fc.bigInt(), fc.constant(null)), date: fc.oneof(fc.string(), fc.integer()) };

    it("accept every valid request", () => {
      fc.assert(fc.property(order, (value) => validatePlaceRequest(value).length === 0));
    });

    it("reject exactly the corrupted field of an otherwise valid request, at its path", () => {
      const corrupted = order.chain((value) => {
        const targets: { path: string; message: string; set: (bad: unknown) => void; bad: fc.Arbitrary<unknown> }[] = [
          { path: "req.orderId", message: "expected string", set: (bad) => ((value as Record<string, unknown>)["orderId"] = bad), bad: wrong.string },
          { path: "req.deliverBy", message: "expected Date", set: (bad) => ((value as Record<string, unknown>)["deliverBy"] = bad), bad: wrong.date },
        ];
        value.items.forEach((item, index) => {
          targets.push({ path: `req.items[${index}].sku`, message: "expected string", set: (bad) => ((item as Record<string, unknown>)["sku"] = bad), bad: wrong.string });
          targets.push({ path: `req.items[${index}].qty`, message: "expected number", set: (bad) => ((item as Record<string, unknown>)["qty"] = bad), bad: wrong.number });
        });
        return fc.nat(targets.length - 1).chain((pick) => targets[pick]!.bad.map((bad) => ({ value, target: targets[pick]!, bad })));
      });
      fc.assert(
        fc.property(corrupted, ({ value, target, bad }) => {
          target.set(bad);
          const issues = validatePlaceRequest(value);
          expect(issues).to.deep.equal([{ path: target.path, message: target.message }]);
        }),
      );
    });

    it("accept any JSON value where the recursive Json type is expected", () => {
      fc.assert(fc.property(fc.jsonValue(), (payload) => validateEchoRequest({ payload }).length === 0));
    });
  });
});
