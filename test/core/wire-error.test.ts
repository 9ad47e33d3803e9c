import { expect } from "chai";
import { encodeValue } from "../../packages/ferry/src/core/wire/codec.js";
import { decodeEnvelope, encodeEnvelope, MessageKind } from "../../packages/ferry/src/core/wire/envelope.js";
import { errorClasses } from "../../packages/ferry/src/core/error-registry.js";
import { FerryError, InvalidArgumentError, RemoteError, UnavailableError, UnconfirmedError } from "../../packages/ferry/src/core/errors.js";
import { fromWireError, maxErrorDetailBytes, maxErrorMessageChars, toWireError, type WireError } from "../../packages/ferry/src/core/wire/wire-error.js";

class InsufficientFunds extends Error {
  code = "INSUFFICIENT_FUNDS";
  balance = 3;
}

class ShuttingDown extends UnavailableError {}

describe("errors on the wire: what crosses", () => {
  it("sends the class name of an error whose class does not set its own name, and a name the class set as it is", () => {
    expect(toWireError(new InsufficientFunds("short")).name).to.equal("InsufficientFunds");
    expect(toWireError(new ShuttingDown("bye")).name).to.equal("ShuttingDown");
    expect(toWireError(new UnconfirmedError("maybe")).name).to.equal("UnconfirmedError");
    expect(toWireError(new RangeError("r")).name).to.equal("RangeError");
    const renamed = Object.assign(new Error("x"), { name: "Custom" });
    expect(toWireError(renamed).name).to.equal("Custom");
  });

  it("carries a plain error's string code, retryable flag and own fields, but never its stack or cause", () => {
    const error = Object.assign(new InsufficientFunds("short", { cause: new Error("inner") }), { retryable: true, when: new Date(5), big: 2n ** 70n });
    expect(toWireError(error)).to.deep.equal({
      code: "INSUFFICIENT_FUNDS",
      message: "short",
      retryable: true,
      name: "InsufficientFunds",
      fields: { balance: 3, when: new Date(5), big: 2n ** 70n },
    });
  });

  it("leaves out what cannot be encoded or does not fit, and names it, so the error always encodes", () => {
    const error = Object.assign(new Error("x"), {
      code: 404,
      fn: () => 1,
      sym: Symbol("s"),
      huge: "h".repeat(maxErrorDetailBytes),
      kept: "small",
    });
    const wire = toWireError(error);
    expect(wire.code).to.equal("REMOTE");
    expect(wire.fields).to.deep.equal({ kept: "small" });
    expect(wire.dropped).to.deep.equal(["code", "fn", "sym", "huge"]);
    expect(() => encodeValue(wire)).not.to.throw();
  });

  it("spends the detail budget on data first, then on fields in their order", () => {
    const half = "d".repeat(maxErrorDetailBytes / 2);
    const error = Object.assign(new FerryError("FULL", "x", { data: half }), { first: half, second: "fits" });
    const wire = toWireError(error);
    expect(wire.data).to.equal(half);
    expect(wire.fields).to.deep.equal({ second: "fits" });
    expect(wire.dropped).to.deep.equal(["first"]);
  });

  it("cuts a message longer than maxErrorMessageChars, saying how much was left out", () => {
    const wire = toWireError(new Error("m".repeat(maxErrorMessageChars + 10)));
    expect(wire.message).to.have.length(maxErrorMessageChars + " ... (10 more characters)".length - 1);
    expect(wire.message.endsWith("... (10 more characters)")).to.equal(true);
  });
});

describe("errors on the wire: what the caller gets", () => {
  const decoded = (wire: WireError): WireError =>
    decodeEnvelope(encodeEnvelope({ kind: MessageKind.Reply, correlationId: "c", error: wire })).error!;

  it("rebuilds a registered class without calling its constructor, with name, code, message, retryable and fields", () => {
    let constructed = 0;
    class Audited extends Error {
      constructor(readonly account: string) {
        super(`audit of ${account}`);
        constructed++;
      }
    }
    const wire = decoded(toWireError(new Audited("acct-1")));
    constructed = 0;
    const error = fromWireError(wire, errorClasses([Audited]));
    expect(error).to.be.instanceOf(Audited);
    expect(constructed).to.equal(0);
    expect(error).to.include({ name: "Audited", message: "audit of acct-1", code: "REMOTE", retryable: false, account: "acct-1" });
    expect(Object.keys(error)).to.deep.equal(["code", "retryable", "account"]);
  });

  it("never lets a field replace the error's own properties or its class's methods", () => {
    const wire: WireError = { code: "X", message: "real", retryable: false, fields: { message: "fake", code: "Y", toString: "no", stack: "s", extra: 1 } };
    const error = fromWireError(wire);
    expect(error).to.include({ message: "real", code: "X", extra: 1 });
    expect(String(error)).to.equal("RemoteError: real");
  });

  it("names what was dropped on the caller's error, and says nothing when nothing was", () => {
    const error = fromWireError(decoded(toWireError(Object.assign(new Error("x"), { fn: () => 1 }))));
    expect((error as FerryError).droppedFields).to.deep.equal(["fn"]);
    expect(Object.keys(error)).not.to.include("droppedFields");
    expect((fromWireError(decoded(toWireError(new Error("y")))) as FerryError).droppedFields).to.equal(undefined);
  });

  it("keeps a remote UnconfirmedError's name, but not the class that would make a call wait for a reply", () => {
    const error = fromWireError(decoded(toWireError(new UnconfirmedError("maybe"))));
    expect(error).to.be.instanceOf(UnavailableError);
    expect(error).not.to.be.instanceOf(UnconfirmedError);
    expect(error.name).to.equal("UnconfirmedError");
  });

  it("reads an error from an older peer (no name, no fields) as before", () => {
    const error = fromWireError(decoded({ code: "OUT_OF_STOCK", message: "none", retryable: false, data: { sku: "x" } }));
    expect(error).to.be.instanceOf(RemoteError);
    expect(error).to.include({ name: "RemoteError", code: "OUT_OF_STOCK" });
  });

  it("drops optional wire keys of the wrong type instead of failing the reply", () => {
    const bytes = encodeEnvelope({ kind: MessageKind.Reply, correlationId: "c", error: { code: "X", message: "m", retryable: false, name: 5, fields: [1], dropped: "a" } as never });
    expect(decodeEnvelope(bytes).error).to.deep.equal({ code: "X", message: "m", retryable: false });
  });
});

describe("the errors option", () => {
  it("refuses what is not an error class, an anonymous class, and two classes of one name", () => {
    expect(() => errorClasses([Date as never])).to.throw(InvalidArgumentError, "errors: function Date is not a class that extends Error");
    expect(() => errorClasses([class extends Error {}])).to.throw(InvalidArgumentError, "an anonymous class cannot be matched by name");
    const Twin = class InsufficientFunds extends Error {};
    expect(() => errorClasses([InsufficientFunds, Twin])).to.throw(InvalidArgumentError, "two different classes are named InsufficientFunds");
    expect(() => errorClasses(InsufficientFunds as never)).to.throw(InvalidArgumentError, "errors must be an array of error classes, got class InsufficientFunds");
  });
});
