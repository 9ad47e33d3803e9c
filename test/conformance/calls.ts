import { expect } from "chai";
import type { CallContext } from "../../packages/ferry/src/core/context.js";
import { defineService, method } from "../../packages/ferry/src/core/definition.js";
import { CancelledError, FerryError, NoRespondersError, RemoteError, TimeoutError } from "../../packages/ferry/src/core/errors.js";
import { lossy } from "../support/lossy-transport.js";
import { Calculator, calculatorImpl, Inner, Outer, Spool } from "../support/services.js";
import { gate, rejection, until } from "../support/wait.js";
import { useHarness, type ConformanceTarget } from "./harness.js";

const calculator = calculatorImpl;

export function describeCalls(target: ConformanceTarget): void {
  describe("calls", () => {
    const harness = useHarness(target);

    it("round-trips a request and its response", async () => {
      const server = await harness().runtime();
      await server.serve(Calculator, calculator);
      const client = await harness().runtime();
      expect(await client.call(Calculator.methods.add, { a: 2, b: 40 })).to.deep.equal({ sum: 42 });
    });

    it("keeps every msgpack type intact: Date, bytes, bigint, null, nesting", async () => {
      const server = await harness().runtime();
      await server.serve(Calculator, calculator);
      const client = await harness().runtime();
      const value = {
        when: new Date(1_700_000_000_123),
        bytes: new Uint8Array([0, 1, 255]),
        big: 2n ** 63n + 5n,
        huge: -(2n ** 80n),
        none: null,
        nested: { list: [1, "two", [3.5, false]], empty: {} },
        text: "ünïcødé ✓",
      };
      const echoed = (await client.call(Calculator.methods.echo, value)) as typeof value;
      expect(echoed.when).to.be.instanceOf(Date);
      expect(echoed.when.getTime()).to.equal(value.when.getTime());
      expect([...echoed.bytes]).to.deep.equal([0, 1, 255]);
      expect(echoed.big).to.equal(value.big);
      expect(echoed.huge).to.equal(value.huge);
      expect(echoed.none).to.equal(null);
      expect(echoed.nested).to.deep.equal(value.nested);
      expect(echoed.text).to.equal(value.text);
      expect(await client.call(Calculator.methods.echo, undefined)).to.equal(undefined);
    });

    it("carries a handler's error to the caller with its code, message and data", async () => {
      const server = await harness().runtime();
      await server.serve(Calculator, calculator);
      const client = await harness().runtime();
      const coded = await rejection(client.call(Calculator.methods.fail, { code: "OUT_OF_STOCK" }));
      expect(coded).to.be.instanceOf(RemoteError);
      expect(coded.code).to.equal("OUT_OF_STOCK");
      expect(coded.message).to.equal("failed with OUT_OF_STOCK");
      expect((coded as FerryError).data).to.deep.equal({ why: "test" });
      const plain = await rejection(client.call(Calculator.methods.fail, {}));
      expect(plain.code).to.equal("REMOTE");
      expect(plain.message).to.equal("plain failure");
    });

    it("times out a call nobody answers, after exactly its timeout", async () => {
      const server = await harness().runtime();
      const started = gate();
      await server.serve(Calculator, { ...calculator, slow: (_request: { id: string }, context: CallContext) => {
        started.open();
        return new Promise<string>((_, reject) => context.signal.addEventListener("abort", () => reject(context.signal.reason)));
      } });
      const client = await harness().runtime();
      const outcome = rejection(client.call(Calculator.methods.slow, { id: "x" }, { timeoutMs: 5_000 }));
      await started.promise;
      await harness().clock.tick(4_999);
      expect((await client.stats()).client.pending).to.equal(1);
      await harness().clock.tick(1);
      const error = await outcome;
      expect(error).to.be.instanceOf(TimeoutError);
      expect(error.message).to.contain("within 5000 ms");
      expect((await client.stats()).client).to.include({ pending: 0, timers: 0 });
    });

    it("keeps a durable call made before any server declared its service, and answers it once one serves", async () => {
      const client = await harness().runtime();
      const answer = client.call(Spool.methods.put, { n: 41 }, { timeoutMs: 60_000 });
      const stored = async (): Promise<boolean> => {
        const topic = (await client.stats()).broker.topics.find((t) => t.name === "svc.Spool");
        return topic !== undefined && topic.partitions.reduce((sum, partition) => sum + partition.depth, 0) === 1;
      };
      await until(stored, "the request stored in its topic");
      const server = await harness().runtime();
      await server.serve(Spool, { put: ({ n }: { n: number }) => n + 1 });
      expect(await answer).to.equal(42);
    });

    it("fails at once with NO_RESPONDERS when nothing serves the service", async () => {
      const client = await harness().runtime();
      const before = harness().clock.now();
      const error = await rejection(client.call(Calculator.methods.add, { a: 1, b: 1 }, { timeoutMs: 10_000 }));
      expect(error).to.be.instanceOf(NoRespondersError);
      expect(harness().clock.now() - before).to.equal(0);
    });

    it("retries after a lost first attempt, and the handler runs once", async () => {
      const server = await harness().runtime();
      let runs = 0;
      await server.serve(Calculator, { ...calculator, add: ({ a, b }: { a: number; b: number }) => (runs++, { sum: a + b }) });
      const client = await harness().runtime({ backoff: { initialMs: 10, jitter: 0 } }, (transport) => lossy(transport, { publishes: 1 }));
      const call = client.call(Calculator.methods.add, { a: 1, b: 2 }, { timeoutMs: 5_000, retries: 2 });
      await harness().clock.tick(5_000 + 10);
      expect(await call).to.deep.equal({ sum: 3 });
      expect(runs).to.equal(1);
    });

    it("cancels: the caller gets CANCELLED at once and the handler's signal aborts", async () => {
      const server = await harness().runtime();
      const started = gate();
      const aborted = gate<unknown>();
      await server.serve(Calculator, { ...calculator, slow: (_request: { id: string }, context: CallContext) => {
        started.open();
        return new Promise<string>((_, reject) =>
          context.signal.addEventListener("abort", () => {
            aborted.open(context.signal.reason);
            reject(context.signal.reason);
          }),
        );
      } });
      const client = await harness().runtime();
      const controller = new AbortController();
      const outcome = rejection(client.call(Calculator.methods.slow, { id: "c" }, { signal: controller.signal }));
      await started.promise;
      // The server told the caller where to send a cancel; give that notice time to arrive.
      await until(async () => (await server.stats()).servers["Calculator#Calculator"]!.running === 1);
      controller.abort();
      expect(await outcome).to.be.instanceOf(CancelledError);
      expect(await aborted.promise).to.be.instanceOf(CancelledError);
    });

    it("cancels a call whose handler has not started yet: the handler never completes it", async () => {
      const server = await harness().runtime();
      const hold = gate();
      const entered: string[] = [];
      await server.serve(
        Calculator,
        { ...calculator, slow: async ({ id }: { id: string }, context: CallContext) => {
          entered.push(id);
          if (id === "first") {
            await hold.promise;
            return id;
          }
          // Depending on the transport the cancel arrives before the start or during the run.
          return new Promise<string>((_, reject) => {
            if (context.signal.aborted) reject(context.signal.reason);
            context.signal.addEventListener("abort", () => reject(context.signal.reason));
          });
        } },
        { concurrency: 1 },
      );
      const client = await harness().runtime();
      const first = client.call(Calculator.methods.slow, { id: "first" });
      const controller = new AbortController();
      const second = rejection(client.call(Calculator.methods.slow, { id: "second" }, { signal: controller.signal }));
      await until(() => entered.length === 1, "first handler");
      controller.abort();
      expect(await second).to.be.instanceOf(CancelledError);
      hold.open();
      expect(await first).to.equal("first");
      const idle = async () => {
        const stats = await server.stats();
        const lag = stats.broker.topics.find((t) => t.name === "svc.Calculator")!.groups[0]!.partitions.reduce((sum, p) => sum + p.lag, 0);
        return lag === 0 && stats.servers["Calculator#Calculator"]!.running === 0;
      };
      await until(idle, "the cancelled request to be settled");
      expect((await server.stats()).servers["Calculator#Calculator"]!.handled).to.equal(1);
      expect((await client.stats()).client).to.include({ pending: 0, timers: 0 });
    });

    it("propagates the deadline to calls made inside a handler", async () => {
      const inner = await harness().runtime();
      await inner.serve(Inner, { deadline: (_request: { value: number }, context: CallContext) => context.deadline });
      const outer = await harness().runtime();
      await outer.serve(Outer, {
        relay: async ({ value }: { value: number }, context: CallContext) => ({
          innerDeadline: await outer.call(Inner.methods.deadline, { value }, { timeoutMs: 60_000 }),
          outerDeadline: context.deadline,
        }),
      });
      const client = await harness().runtime();
      const sentAt = harness().clock.now();
      const result = await client.call(Outer.methods.relay, { value: 1 }, { timeoutMs: 7_500 });
      expect(result.outerDeadline).to.equal(sentAt + 7_500);
      expect(result.innerDeadline).to.equal(result.outerDeadline);
    });

    it("delivers a confirmed event to the service, with no reply", async () => {
      const server = await harness().runtime();
      const notes: string[] = [];
      await server.serve(Calculator, { ...calculator, note: ({ text }: { text: string }) => void notes.push(text) });
      const client = await harness().runtime();
      await client.emit(Calculator.methods.note, { text: "hello" });
      await until(() => notes.length === 1, "event");
      expect(notes).to.deep.equal(["hello"]);
    });

    it("refuses a request its validator rejects with INVALID_ARGUMENT naming the field, without running the handler", async () => {
      const Strict = defineService("Strict", {
        add: method<{ a: number }, number>({
          validateRequest: (value) =>
            typeof (value as { a?: unknown })?.a === "number" ? [] : [{ path: "req.a", message: "expected number" }],
        }),
      });
      const server = await harness().runtime();
      let runs = 0;
      await server.serve(Strict, { add: ({ a }: { a: number }) => (runs++, a) });
      const client = await harness().runtime();
      const error = await rejection(client.call(Strict.methods.add, { a: "1" } as unknown as { a: number }));
      expect(error.code).to.equal("INVALID_ARGUMENT");
      expect(error.message).to.contain("req.a: expected number");
      expect(runs).to.equal(0);
      expect(await client.call(Strict.methods.add, { a: 5 })).to.equal(5);
    });
  });
}
