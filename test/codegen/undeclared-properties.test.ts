import { expect } from "chai";
import fc from "fast-check";
import { decodeCounted, encodeValue } from "../../packages/ferry/src/core/wire/codec.js";
import { validatePlaceRequest } from "../../examples/services/generated/orders.validators.js";
import { validateAnnotateRequest, validateCreateRequest, validateCreateResponse } from "./fixtures/undeclared/expected/accounts.validators.js";

const placeOrder = () => ({ orderId: "o-1", customerId: "c-1", items: [{ sku: "a", qty: 1 }, { sku: "b", qty: 2 }], deliverBy: new Date(0), note: "n" });
const undeclared = "is not declared in the type";

/** Decodes `value` as the server does: the value, and the map entries the scan counted. */
function received(value: unknown): { value: unknown; mapEntries: number } {
  return decodeCounted(encodeValue(value));
}

describe("generated validators: properties a type does not declare", () => {
  it("remove an undeclared property at every depth, and keep every declared one, optional ones included", () => {
    const request = { ...placeOrder(), isAdmin: true, items: [{ sku: "a", qty: 1 }, { sku: "b", qty: 2, price: 0 }] };
    expect(validatePlaceRequest(request)).to.deep.equal([]);
    expect(request).to.deep.equal(placeOrder());
  });

  it("remove what Omit<User, \"id\" | \"isAdmin\"> leaves out: a request cannot pick its id or make itself an admin", () => {
    const request = { id: "user-root", isAdmin: true, name: "eve", labels: {}, contacts: [] };
    expect(validateCreateRequest(request)).to.deep.equal([]);
    expect(request).to.deep.equal({ name: "eve", labels: {}, contacts: [] });
  });

  it("keep every key of a Record<string, T>: its index signature declares them all", () => {
    const labels = { team: "a", "with space": "b", isAdmin: "c" };
    const request = { name: "eve", labels: { ...labels }, contacts: [] };
    expect(validateCreateRequest(request)).to.deep.equal([]);
    expect(request.labels).to.deep.equal(labels);
  });

  it("strip each member of a discriminated union by what that member declares", () => {
    const contacts = [{ kind: "email", address: "e@x", number: "1" }, { kind: "phone", number: "2", extension: "3", address: "a" }];
    const request = { name: "eve", labels: {}, contacts };
    expect(validateCreateRequest(request)).to.deep.equal([]);
    expect(contacts).to.deep.equal([{ kind: "email", address: "e@x" }, { kind: "phone", number: "2", extension: "3" }]);
  });

  it("keep, in a union of objects not told apart by a field, the member a value matches as sent; else strip it to the first it matches", () => {
    const pinned = { id: "user-1", note: { text: "t", pinned: true } };
    expect(validateAnnotateRequest(pinned)).to.deep.equal([]);
    expect(pinned.note).to.deep.equal({ text: "t", pinned: true });
    const coloured = { id: "user-1", note: { text: "t", color: "red" } };
    expect(validateAnnotateRequest(coloured)).to.deep.equal([]);
    expect(coloured.note).to.deep.equal({ text: "t" });
    expect(validateAnnotateRequest({ id: "user-1", note: { text: "t", color: "red" } }, true)).to.deep.equal([{ path: "req.note.color", message: undeclared }]);
  });

  it("read a property named like a member of Object.prototype only when the value has it", () => {
    expect(validateAnnotateRequest({ id: "user-1" })).to.deep.equal([]);
    expect(validateAnnotateRequest({ id: "user-1", toString: 3 })).to.deep.equal([{ path: "req.toString", message: "expected string" }]);
  });

  it("with strict, report each undeclared property at its path, and remove nothing", () => {
    const request = { ...placeOrder(), isAdmin: true, "odd key": 1, items: [{ sku: "a", qty: 1 }, { sku: "b", qty: 2, price: 0 }] };
    const sent = structuredClone(request);
    expect(validatePlaceRequest(request, true)).to.deep.equal([
      { path: "req.items[1].price", message: undeclared },
      { path: "req.isAdmin", message: undeclared },
      { path: 'req["odd key"]', message: undeclared },
    ]);
    expect(request).to.deep.equal(sent);
  });

  it("apply to replies too: the response validator strips, and with strict reports", () => {
    const reply = { id: "user-1", name: "eve", isAdmin: false, labels: {}, password: "x" };
    expect(validateCreateResponse({ ...reply }, true)).to.deep.equal([{ path: "res.password", message: undeclared }]);
    expect(validateCreateResponse(reply)).to.deep.equal([]);
    expect(reply).not.to.have.property("password");
  });

  it("given the decoder's count of map entries, accept an exact request as it is and still strip one with more", () => {
    const exact = received(placeOrder());
    expect(validatePlaceRequest(exact.value, false, exact.mapEntries)).to.deep.equal([]);
    expect(exact.value).to.deep.equal(placeOrder());
    const extra = received({ ...placeOrder(), isAdmin: true });
    expect(validatePlaceRequest(extra.value, false, extra.mapEntries)).to.deep.equal([]);
    expect(extra.value).to.deep.equal(placeOrder());
    const strict = received({ ...placeOrder(), isAdmin: true });
    expect(validatePlaceRequest(strict.value, true, strict.mapEntries)).to.deep.equal([{ path: "req.isAdmin", message: undeclared }]);
    // A declared property sent as undefined is an entry but not counted: the value is checked key by key, and keeps it.
    const absent = received({ ...placeOrder(), note: undefined });
    expect(validatePlaceRequest(absent.value, false, absent.mapEntries)).to.deep.equal([]);
    expect(absent.value).to.have.property("note", undefined);
  });

  it("agree, counting or not, on any request with undeclared properties anywhere (fast-check)", () => {
    const extras = fc.dictionary(fc.string().filter((key) => !["sku", "qty", "orderId", "customerId", "items", "deliverBy", "note", "__proto__"].includes(key)), fc.oneof(fc.integer(), fc.string(), fc.boolean()), { maxKeys: 3 });
    const item = fc.tuple(fc.record({ sku: fc.string(), qty: fc.integer() }), extras).map(([declared, more]) => ({ ...more, ...declared }));
    const request = fc.tuple(fc.record({ orderId: fc.string(), customerId: fc.string(), items: fc.array(item, { maxLength: 4 }), note: fc.string() }, { requiredKeys: ["orderId", "customerId", "items"] }), extras).map(([declared, more]) => ({ ...more, ...declared }));
    fc.assert(
      fc.property(request, fc.boolean(), (value, strict) => {
        const counted = received(value);
        const visited = received(value);
        const countedIssues = validatePlaceRequest(counted.value, strict, counted.mapEntries);
        const visitedIssues = validatePlaceRequest(visited.value, strict);
        expect(countedIssues).to.deep.equal(visitedIssues);
        expect(counted.value).to.deep.equal(visited.value);
        if (!strict) {
          const keys = (counted.value as { items: object[] }).items.flatMap((entry) => Object.keys(entry));
          expect(keys.every((key) => key === "sku" || key === "qty")).to.equal(true);
        }
      }),
    );
  });
});
