import "reflect-metadata";
import { expect } from "chai";
import { container as globalContainer, type DependencyContainer } from "tsyringe";
import { connect } from "../../packages/ferry/src/connect.js";
import type { CallContext } from "../../packages/ferry/src/core/context.js";
import { defineService, method } from "../../packages/ferry/src/core/definition.js";
import { FERRY, IDEMPOTENCY_STORE, inject, injectable } from "../../packages/ferry/src/core/di.js";
import { ClosedError, InvalidArgumentError } from "../../packages/ferry/src/core/errors.js";
import type { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { MemoryIdempotencyStore } from "../../packages/ferry/src/core/idempotency.js";
import { Broker } from "../../packages/ferry/src/broker/broker.js";
import { Calculator } from "../support/services.js";
import { gate, rejection, until } from "../support/wait.js";

const GREETING = Symbol("greeting");

@injectable()
class GreetingCalculator {
  constructor(
    @inject(GREETING) private readonly greeting: string,
    @inject(FERRY) readonly ferry: Ferry,
  ) {}
  add({ a, b }: { a: number; b: number }) {
    return { sum: a + b + this.greeting.length };
  }
  echo(value: unknown) {
    return `${this.greeting} ${String(value)}`;
  }
  charge() {
    return { receipt: 0 };
  }
  slow() {
    return "";
  }
  fail(): never {
    throw new Error("unused");
  }
  note() {}
}

/** Plain handlers for every Calculator method, with some replaced. */
function calculator(overrides: Record<string, unknown> = {}) {
  const base = new GreetingCalculator("", undefined as never);
  return {
    add: base.add.bind(base),
    echo: base.echo.bind(base),
    charge: base.charge.bind(base),
    slow: base.slow.bind(base),
    fail: base.fail.bind(base),
    note: base.note.bind(base),
    ...overrides,
  } as never;
}

describe("Ferry runtime", () => {
  let broker: Broker;
  const opened: Ferry[] = [];
  beforeEach(() => {
    broker = new Broker();
  });
  afterEach(async () => {
    for (const ferry of opened.splice(0)) await ferry.close();
    broker.close();
  });
  async function runtime(options = {}) {
    const ferry = await connect({ broker, ...options });
    opened.push(ferry);
    return ferry;
  }

  it("builds a { useClass } implementation with the runtime's container, injecting FERRY and the caller's tokens", async () => {
    const parent = globalContainer.createChildContainer();
    parent.register(GREETING, { useValue: "hello" });
    const server = await runtime({ container: parent });
    await server.serve(Calculator, { useClass: GreetingCalculator });
    const client = await runtime();
    expect(await client.call(Calculator.methods.echo, "world")).to.equal("hello world");
    expect(await client.call(Calculator.methods.add, { a: 1, b: 1 })).to.deep.equal({ sum: 7 });
    expect(server.container.resolve(FERRY)).to.equal(server);
  });

  it("builds a { useFactory } implementation and never writes to tsyringe's global container", async () => {
    const server = await runtime();
    await server.serve(Calculator, { useFactory: (container: DependencyContainer) => new GreetingCalculator("hi", container.resolve(FERRY) as Ferry) });
    const client = await runtime();
    expect(await client.call(Calculator.methods.echo, "there")).to.equal("hi there");
    expect(globalContainer.isRegistered(FERRY)).to.equal(false);
  });

  it("uses the idempotency store registered on the parent container", async () => {
    const store = new MemoryIdempotencyStore();
    const parent = globalContainer.createChildContainer();
    parent.register(IDEMPOTENCY_STORE, { useValue: store });
    const server = await runtime({ container: parent });
    await server.serve(Calculator, new GreetingCalculator("x", server));
    const client = await runtime();
    await client.call(Calculator.methods.charge, { account: "a", cents: 1 });
    expect(store.size).to.equal(1);
  });

  it("refuses an implementation missing a method, naming it", async () => {
    const server = await runtime();
    const error = await rejection(server.serve(Calculator, { add: () => ({ sum: 0 }) } as never));
    expect(error.message).to.contain("has no function for method echo");
  });

  it("refuses bad call options with INVALID_ARGUMENT", async () => {
    const client = await runtime();
    const error = await rejection(client.call(Calculator.methods.add, { a: 1, b: 1 }, { timeoutMs: -5 }));
    expect(error).to.be.instanceOf(InvalidArgumentError);
    expect(error.message).to.contain("timeoutMs");
  });

  it("refuses a reply outside the method's contract when validateResponses is on, naming the path", async () => {
    const Strict = defineService("StrictReply", {
      get: method<{ id: string }, { total: number }>({
        validateResponse: (value) => (typeof (value as { total?: unknown })?.total === "number" ? [] : [{ path: "res.total", message: "expected number" }]),
      }),
    });
    const server = await runtime();
    await server.serve(Strict, { get: ({ id }: { id: string }) => (id === "bad" ? ({ total: "7" } as never) : { total: 7 }) });
    const checking = await runtime({ validateResponses: true });
    expect(await checking.call(Strict.methods.get, { id: "good" })).to.deep.equal({ total: 7 });
    const error = await rejection(checking.call(Strict.methods.get, { id: "bad" }));
    expect(error.code).to.equal("INTERNAL");
    expect(error.message).to.contain("res.total: expected number");
    const trusting = await runtime();
    expect(await trusting.call(Strict.methods.get, { id: "bad" })).to.deep.equal({ total: "7" });
  });

  it("refuses an unknown url scheme, saying what is supported", async () => {
    const error = await rejection(connect({ url: "kafka://localhost" }));
    expect(error.code).to.equal("INVALID_ARGUMENT");
    expect(error.message).to.contain("omit url for the in-process broker");
  });

  it("drains on close: a running handler finishes and its caller gets the reply", async () => {
    const server = await runtime();
    const release = gate();
    const started = gate();
    await server.serve(
      Calculator,
      calculator({
        add: async ({ a, b }: { a: number; b: number }) => {
          started.open();
          await release.promise;
          return { sum: a + b };
        },
      }),
    );
    const client = await runtime();
    const call = client.call(Calculator.methods.add, { a: 2, b: 3 });
    await started.promise;
    const closing = server.close();
    release.open();
    await closing;
    expect(await call).to.deep.equal({ sum: 5 });
  });

  it("on close past drainTimeoutMs, aborts running handlers and hands their messages to another member", async () => {
    const stubborn = await runtime();
    await stubborn.serve(
      Calculator,
      calculator({
        add: (_request: unknown, context: CallContext) =>
          new Promise((_, reject) => context.signal.addEventListener("abort", () => reject(context.signal.reason))),
      }),
      { drainTimeoutMs: 1, redeliveryDelayMs: 0 },
    );
    const client = await runtime();
    const call = client.call(Calculator.methods.add, { a: 2, b: 3 });
    await until(async () => (await stubborn.stats()).servers["Calculator#Calculator"]!.running === 1, "the stubborn handler");
    const healthy = await runtime();
    await healthy.serve(Calculator, calculator());
    await stubborn.close();
    expect(await call).to.deep.equal({ sum: 5 });
  });

  it("rejects calls still pending when the runtime closes with CLOSED", async () => {
    const sink = await runtime();
    await sink.transport.consume("svc.Calculator", "Calculator", () => undefined);
    const client = await runtime();
    const call = rejection(client.call(Calculator.methods.add, { a: 1, b: 1 }));
    await client.close();
    expect(await call).to.be.instanceOf(ClosedError);
    expect(await rejection(client.call(Calculator.methods.add, { a: 1, b: 1 }))).to.be.instanceOf(ClosedError);
  });
});
