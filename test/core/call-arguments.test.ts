import { expect } from "chai";
import { connect } from "../../packages/ferry/src/connect.js";
import { defineService, method } from "../../packages/ferry/src/core/definition.js";
import { InvalidArgumentError } from "../../packages/ferry/src/core/errors.js";
import type { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { Broker } from "../../packages/ferry/src/broker/broker.js";
import { Calculator, calculatorImpl } from "../support/services.js";
import { rejection } from "../support/wait.js";

/** What plain JavaScript can pass where TypeScript would not let it. */
const untyped = (ferry: Ferry) => ferry as unknown as { call(...args: unknown[]): Promise<unknown>; emit(...args: unknown[]): Promise<void>; serve(...args: unknown[]): Promise<unknown> };

describe("ferry.call, emit and serve given the wrong shape (plain JavaScript)", () => {
  let broker: Broker;
  let ferry: Ferry;
  beforeEach(async () => {
    broker = new Broker();
    ferry = await connect({ broker });
    await ferry.serve(Calculator, calculatorImpl);
  });
  afterEach(async () => {
    await ferry.close();
    broker.close();
  });

  async function refusal(promise: Promise<unknown>): Promise<string> {
    const error = await rejection(promise);
    expect(error).to.be.instanceOf(InvalidArgumentError);
    return error.message;
  }

  it("refuses a service definition with a method name, naming the method definition to pass", async () => {
    expect(await refusal(untyped(ferry).call(Calculator, "add", { a: 1, b: 2 }))).to.equal(
      'ferry.call: got the service definition Calculator and the method name "add"; pass the method\'s definition: ferry.call(Calculator.methods.add, request)',
    );
  });

  it("refuses a method name a service definition does not have, listing the ones it has", async () => {
    expect(await refusal(untyped(ferry).call(Calculator, "divide", { a: 1, b: 2 }))).to.equal(
      'ferry.call: Calculator has no method "divide"; its methods are add, echo, charge, slow, fail, note',
    );
    expect(await refusal(untyped(ferry).call(Calculator, { a: 1, b: 2 }))).to.equal(
      "ferry.call: got the service definition Calculator; pass one of its methods (Calculator.methods.<name>): its methods are add, echo, charge, slow, fail, note",
    );
  });

  it("refuses a first argument that is neither a method definition nor a service name, saying what it got", async () => {
    const prefix = "ferry.call: the first argument must be a method definition (such as Orders.methods.place) or a service name, got ";
    expect(await refusal(untyped(ferry).call(undefined, { a: 1 }))).to.equal(`${prefix}undefined`);
    expect(await refusal(untyped(ferry).call(42, { a: 1 }))).to.equal(`${prefix}number 42`);
    expect(await refusal(untyped(ferry).call({ service: "Calculator" }, { a: 1 }))).to.equal(`${prefix}an object with service`);
  });

  it("refuses a service name without a method name, and an empty service name", async () => {
    expect(await refusal(untyped(ferry).call("Calculator", { a: 1, b: 2 }))).to.equal(
      'ferry.call("Calculator", method, request): the method name must be a non-empty string, got an object with a, b',
    );
    expect(await refusal(untyped(ferry).call("", "add", {}))).to.equal('ferry.call: the service name is empty (call("Orders", "place", request))');
  });

  it("refuses call options that are not an object", async () => {
    expect(await refusal(untyped(ferry).call(Calculator.methods.add, { a: 1, b: 2 }, "fast"))).to.equal('call: options must be an object, got the string "fast"');
    expect(await refusal(untyped(ferry).call(Calculator.methods.add, { a: 1, b: 2 }, null))).to.equal("call: options must be an object, got null");
  });

  it("refuses call options whose key, idempotencyKey or signal is of the wrong type, instead of a TypeError from deep inside", async () => {
    expect(await refusal(untyped(ferry).call(Calculator.methods.add, { a: 1, b: 2 }, { key: 7 }))).to.equal("call: options.key must be a string, got number 7");
    expect(await refusal(untyped(ferry).emit(Calculator.methods.note, { text: "x" }, { idempotencyKey: {} }))).to.equal("emit: options.idempotencyKey must be a string, got an empty object");
    expect(await refusal(untyped(ferry).call(Calculator.methods.add, { a: 1, b: 2 }, { signal: { aborted: false } }))).to.equal(
      "call: options.signal must be an AbortSignal, got an object with aborted",
    );
  });

  it("refuses emit of something that is not a method definition", async () => {
    expect(await refusal(untyped(ferry).emit(Calculator, { text: "x" }))).to.equal(
      "emit: expected a method definition (such as Orders.methods.place), got the service definition Calculator",
    );
  });

  it("refuses serve of something that is not a service definition, or twice in one group, and an implementation missing a method", async () => {
    expect(await refusal(untyped(ferry).serve("Calculator", calculatorImpl))).to.equal(
      'serve: expected a service definition (from defineService or ferry codegen), got the string "Calculator"',
    );
    expect(await refusal(ferry.serve(Calculator, calculatorImpl))).to.equal("Calculator is already served by this runtime in group Calculator");
    expect(await refusal(ferry.serve(Calculator, { ...calculatorImpl, echo: "echo" } as never, { group: "other" }))).to.equal(
      'the implementation of Calculator has no function for method echo (it has the string "echo")',
    );
  });

  it("refuses an implementation that is not an object, given or made by a factory, instead of a TypeError", async () => {
    const Other = defineService("Other", { ping: method<{ n: number }, number>() });
    expect(await refusal(untyped(ferry).serve(Other, null))).to.equal("the implementation of Other must be an object with a function for each method, got null");
    expect(await refusal(ferry.serve(Other, { useFactory: () => undefined as never }))).to.equal(
      "the implementation of Other must be an object with a function for each method, got undefined",
    );
  });

  it("refuses a definition whose name or methods are not what defineService takes", () => {
    expect(() => defineService("not a name", {})).to.throw(InvalidArgumentError, 'the service name must be a dotted identifier such as "shop.Orders", got the string "not a name"');
    expect(() => defineService("Shop", { place: { timeoutMs: 5 } as never })).to.throw(
      InvalidArgumentError,
      'defineService("Shop"): method place must be made with method(), event() or stream(), got an object with timeoutMs',
    );
    expect(defineService("Shop", { place: method<{ id: string }, void>() }).methods.place.service).to.equal("Shop");
  });
});
