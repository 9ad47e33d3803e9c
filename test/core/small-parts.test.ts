import { expect } from "chai";
import { validate, version } from "uuid";
import { backoffDelay } from "../../packages/ferry/src/core/backoff.js";
import { newCallId } from "../../packages/ferry/src/core/call-id.js";
import {
  CancelledError,
  FerryError,
  IdempotencyMismatchError,
  InvalidArgumentError,
  RemoteError,
  TimeoutError,
  UnavailableError,
} from "../../packages/ferry/src/core/errors.js";
import { fromWireError, toWireError } from "../../packages/ferry/src/core/wire/wire-error.js";

describe("call ids", () => {
  it("are valid uuid v7s carrying the current time", () => {
    const before = Date.now();
    const id = newCallId();
    expect(validate(id)).to.equal(true);
    expect(version(id)).to.equal(7);
    const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(ms).to.be.within(before, Date.now());
  });

  it("do not repeat across 100,000 ids (two random pool refills and more)", () => {
    const ids = new Set(Array.from({ length: 100_000 }, newCallId));
    expect(ids.size).to.equal(100_000);
  });
});

describe("backoff", () => {
  it("doubles from initialMs and stops growing at maxMs", () => {
    const noJitter = { initialMs: 50, maxMs: 300, jitter: 0 };
    expect([1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, noJitter))).to.deep.equal([50, 100, 200, 300, 300]);
  });

  it("draws each delay from [d * (1 - jitter), d]", () => {
    expect(backoffDelay(2, { initialMs: 100, jitter: 0.5 }, () => 0)).to.equal(200);
    expect(backoffDelay(2, { initialMs: 100, jitter: 0.5 }, () => 0.999999)).to.equal(100);
  });
});

describe("errors on the wire", () => {
  it("keep class, code, message, retryable and data across a round trip", () => {
    for (const error of [new TimeoutError("t"), new InvalidArgumentError("bad", { data: { path: "req.a" } }), new UnavailableError("down"), new CancelledError(), new IdempotencyMismatchError("m")]) {
      const back = fromWireError(toWireError(error));
      expect(back).to.be.instanceOf(error.constructor);
      expect({ code: back.code, message: back.message, retryable: back.retryable, data: back.data }).to.deep.equal({
        code: error.code,
        message: error.message,
        retryable: error.retryable,
        data: error.data,
      });
    }
  });

  it("turn a handler's own code into a RemoteError with that code, and a plain Error into REMOTE", () => {
    const custom = fromWireError(toWireError(new FerryError("OUT_OF_STOCK", "none left", { data: { sku: "x" } })));
    expect(custom).to.be.instanceOf(RemoteError);
    expect(custom.code).to.equal("OUT_OF_STOCK");
    expect(custom.data).to.deep.equal({ sku: "x" });
    expect(toWireError(new TypeError("oops"))).to.deep.equal({ code: "REMOTE", message: "oops", retryable: false, name: "TypeError" });
    expect(toWireError("a string")).to.deep.equal({ code: "REMOTE", message: "a string", retryable: false });
  });

  it("survive a handler's code that names an Object property (toString, constructor, __proto__)", () => {
    for (const code of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
      const back = fromWireError({ code, message: "boom", retryable: false });
      expect(back, code).to.be.instanceOf(RemoteError);
      expect(back.code).to.equal(code);
    }
  });

  it("mark exactly the transient codes retryable by default", () => {
    const retryable = ["TIMEOUT", "NO_RESPONDERS", "QUEUE_FULL", "UNAVAILABLE"];
    for (const code of [...retryable, "REMOTE", "INVALID_ARGUMENT", "CANCELLED", "DEADLINE_EXCEEDED"]) {
      expect(new FerryError(code, "x").retryable, code).to.equal(retryable.includes(code));
    }
  });
});

describe("command-line flags", () => {
  it("keep every '=' of a --name=value value", async () => {
    const { parseCommandArgs } = await import("../../packages/ferry/src/cli/command-spec.js");
    const spec = { name: "x", summary: "", flags: { token: { type: "string", description: "" }, port: { type: "string", description: "" } } } as const;
    const { strings } = parseCommandArgs(spec, ["--token=abc==", "--port", "7400"]);
    expect(strings.get("token")).to.equal("abc==");
    expect(strings.get("port")).to.equal("7400");
  });
});
