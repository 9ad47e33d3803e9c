import { expect } from "chai";
import { connect } from "../../packages/ferry/src/connect.js";
import type { CallContext } from "../../packages/ferry/src/core/context.js";
import { defineService, event, method } from "../../packages/ferry/src/core/definition.js";
import { FerryError, InvalidArgumentError } from "../../packages/ferry/src/core/errors.js";
import type { Ferry } from "../../packages/ferry/src/core/ferry.js";
import type { ClientInterceptor, IncomingCall, OutgoingCall, ServerInterceptor } from "../../packages/ferry/src/core/interceptors.js";
import { Broker } from "../../packages/ferry/src/broker/broker.js";
import { decodeEnvelope } from "../../packages/ferry/src/core/wire/envelope.js";
import { rejection, until } from "../support/wait.js";

const Echo = defineService("InterceptedEcho", {
  headers: method<{ n: number }, Record<string, string>>(),
  double: method<{ n: number }, number>(),
  note: event<{ n: number }>(),
});

describe("interceptors", function () {
  let broker: Broker;
  const runtimes: Ferry[] = [];
  /** Each event the server handled, with the headers it arrived with. */
  let notes: { n: number; headers: Record<string, string> }[] = [];

  beforeEach(() => {
    broker = new Broker();
    notes = [];
  });
  afterEach(async () => {
    for (const ferry of runtimes.splice(0)) await ferry.close();
    broker.close();
  });

  async function runtime(interceptors: ClientInterceptor[] = [], serverInterceptors: ServerInterceptor[] = [], handled: IncomingCall[] = []): Promise<Ferry> {
    const ferry = await connect({ broker, interceptors });
    runtimes.push(ferry);
    await ferry.serve(
      Echo,
      {
        headers: (_request: { n: number }, context: CallContext) => ({ ...context.headers }),
        double: ({ n }: { n: number }) => {
          if (n < 0) throw new FerryError("NEGATIVE", "no negatives");
          return n * 2;
        },
        note: ({ n }: { n: number }, context: CallContext) => void notes.push({ n, headers: { ...context.headers } }),
      },
      { interceptors: [...serverInterceptors, async (call, next) => (handled.push(call), next())] },
    );
    return ferry;
  }

  describe("on the client", function () {
    it("adds a header the handler sees", async () => {
      const ferry = await runtime([
        async (call, next) => {
          call.headers["x-tenant"] = "blue";
          return next();
        },
      ]);
      const headers = await ferry.call(Echo.methods.headers, { n: 1 }, { headers: { mine: "1" } });
      expect(headers).to.deep.equal({ mine: "1", "x-tenant": "blue" });
    });

    it("sees the call's service, method, request, deadline and attempts", async () => {
      const seen: OutgoingCall[] = [];
      const attempts: { attempt: number; messageId: string; ended: string }[] = [];
      const ferry = await runtime([
        async (call, next) => {
          seen.push(call);
          call.watchAttempts((attempt) => {
            const entry = { attempt: attempt.attempt, messageId: attempt.messageId, ended: "open" };
            attempts.push(entry);
            return (error) => (entry.ended = error === undefined ? "reply" : error.name);
          });
          expect(call.attempt).to.equal(0);
          return next();
        },
      ]);
      const before = Date.now();
      expect(await ferry.call(Echo.methods.double, { n: 4 }, { timeoutMs: 5_000 })).to.equal(8);
      const [call] = seen;
      expect(call).to.include({ service: "InterceptedEcho", method: "double", topic: "svc.InterceptedEcho", attempt: 1 });
      expect(call!.request).to.deep.equal({ n: 4 });
      expect(call!.deadline).to.be.within(before + 5_000, Date.now() + 5_000);
      expect(attempts).to.deep.equal([{ attempt: 1, messageId: `${call!.callId}:1`, ended: "reply" }]);
    });

    it("wraps an emit: kind event, headers the handler sees, its one attempt until the broker's confirm, and it may drop or refuse it", async () => {
      const seen: Pick<OutgoingCall, "kind" | "service" | "method" | "topic" | "deadline" | "items">[] = [];
      const attempts: { attempt: number; messageId: string; ended: string }[] = [];
      const handled: IncomingCall[] = [];
      const ferry = await runtime(
        [
          async (call, next) => {
            const { n } = call.request as { n: number };
            if (n === 0) return undefined; // dropped: nothing is published
            if (n < 0) throw new FerryError("FORBIDDEN", "not you");
            const { kind, service, method, topic, deadline, items } = call;
            seen.push({ kind, service, method, topic, deadline, items });
            call.headers["x-tenant"] = "blue";
            call.watchAttempts((attempt) => {
              const entry = { attempt: attempt.attempt, messageId: attempt.messageId, ended: "open" };
              attempts.push(entry);
              return (error) => (entry.ended = error === undefined ? "confirmed" : error.name);
            });
            expect(await next()).to.equal(undefined);
            return undefined;
          },
        ],
        [],
        handled,
      );
      await ferry.emit(Echo.methods.note, { n: 1 }, { headers: { mine: "1" }, idempotencyKey: "note-1" });
      expect(seen).to.deep.equal([{ kind: "event", service: "InterceptedEcho", method: "note", topic: "svc.InterceptedEcho", deadline: Infinity, items: undefined }]);
      expect(attempts).to.deep.equal([{ attempt: 1, messageId: "note-1", ended: "confirmed" }]);
      await ferry.emit(Echo.methods.note, { n: 0 });
      expect((await rejection(ferry.emit(Echo.methods.note, { n: -1 }))).code).to.equal("FORBIDDEN");
      await ferry.emit(Echo.methods.note, { n: 2 });
      await until(() => notes.length === 2, "the two events published");
      // Events without a key go to partitions in turn: they may be handled in either order.
      expect(notes.sort((a, b) => a.n - b.n)).to.deep.equal([
        { n: 1, headers: { mine: "1", "x-tenant": "blue" } },
        { n: 2, headers: { "x-tenant": "blue" } },
      ]);
      // The server's interceptors see them as events.
      expect(handled.map((call) => call.kind)).to.deep.equal(["event", "event"]);
    });

    it("runs the chain in order, each around the next", async () => {
      const order: string[] = [];
      const step =
        (name: string): ClientInterceptor =>
        async (_call, next) => {
          order.push(`${name} before`);
          const value = await next();
          order.push(`${name} after ${String(value)}`);
          return value;
        };
      const ferry = await runtime([step("first"), step("second")]);
      await ferry.call(Echo.methods.double, { n: 2 });
      expect(order).to.deep.equal(["first before", "second before", "second after 4", "first after 4"]);
    });

    it("sends no headers when no interceptor added one, as a runtime without interceptors sends none", async () => {
      const ferry = await runtime([async (_call, next) => next(), async (call, next) => (call.watchAttempts(() => undefined), next())]);
      const sent: (Record<string, string> | undefined)[] = [];
      const transport = ferry.transport;
      const publish = transport.publish.bind(transport);
      transport.publish = (topic, bytes, options) => {
        sent.push(decodeEnvelope(bytes).headers);
        return publish(topic, bytes, options);
      };
      expect(await ferry.call(Echo.methods.double, { n: 2 })).to.equal(4);
      expect(await ferry.call(Echo.methods.headers, { n: 1 }, { headers: { mine: "1" } })).to.deep.equal({ mine: "1" });
      expect(sent).to.deep.equal([undefined, { mine: "1" }]);
    });

    it("answers a call itself, sending nothing", async () => {
      const handled: IncomingCall[] = [];
      const ferry = await runtime([async () => 42], [], handled);
      expect(await ferry.call(Echo.methods.double, { n: 2 })).to.equal(42);
      expect(handled).to.deep.equal([]);
    });

    it("fails a call with its own error, sending nothing", async () => {
      const handled: IncomingCall[] = [];
      const ferry = await runtime(
        [
          () => {
            throw new FerryError("FORBIDDEN", "not you");
          },
        ],
        [],
        handled,
      );
      const error = await rejection(ferry.call(Echo.methods.double, { n: 2 }));
      expect(error).to.include({ code: "FORBIDDEN", message: "not you" });
      expect(handled).to.deep.equal([]);
    });

    it("observes the outcome: the reply, or the remote error", async () => {
      const outcomes: string[] = [];
      const ferry = await runtime([
        async (_call, next) => {
          try {
            const value = await next();
            outcomes.push(`ok ${String(value)}`);
            return value;
          } catch (error) {
            outcomes.push(`failed ${(error as FerryError).code}`);
            throw error;
          }
        },
      ]);
      await ferry.call(Echo.methods.double, { n: 3 });
      await rejection(ferry.call(Echo.methods.double, { n: -1 }));
      expect(outcomes).to.deep.equal(["ok 6", "failed NEGATIVE"]);
    });

    it("refuses interceptors that are not functions", async () => {
      const error = await rejection(connect({ broker, interceptors: ["log"] as never }));
      expect(error).to.be.instanceOf(InvalidArgumentError);
      expect(error.message).to.contain("interceptors must be an array of functions");
    });
  });

  describe("on the server", function () {
    it("sees the request's facts and adds a header the handler sees", async () => {
      const handled: IncomingCall[] = [];
      const ferry = await runtime(
        [],
        [
          async (call, next) => {
            call.headers["x-user"] = "ada";
            return next();
          },
        ],
        handled,
      );
      const headers = await ferry.call(Echo.methods.headers, { n: 7 }, { headers: { a: "b" } });
      expect(headers).to.deep.equal({ a: "b", "x-user": "ada" });
      const [call] = handled;
      expect(call).to.include({ service: "InterceptedEcho", method: "headers", attempt: 1, deliveryCount: 1, topic: "svc.InterceptedEcho", group: "InterceptedEcho" });
      expect(call!.request).to.deep.equal({ n: 7 });
      expect(call!.deadline).to.be.greaterThan(Date.now());
      expect(call!.partition).to.be.a("number");
      expect(call!.context.callId).to.equal(call!.callId);
    });

    it("answers for the handler, or fails the request, without running it", async () => {
      const ferry = await runtime([], [async (call, next) => (call.request as { n: number }).n === 0 ? "zero" : (call.request as { n: number }).n === 1 ? Promise.reject(new FerryError("ONE", "not one")) : next()]);
      expect(await ferry.call(Echo.methods.double, { n: 0 })).to.equal("zero");
      expect(await rejection(ferry.call(Echo.methods.double, { n: 1 }))).to.include({ code: "ONE", message: "not one" });
      expect(await ferry.call(Echo.methods.double, { n: 5 })).to.equal(10);
    });

    it("runs the chain in order and observes the handler's outcome", async () => {
      const order: string[] = [];
      const step =
        (name: string): ServerInterceptor =>
        async (_call, next) => {
          order.push(`${name} before`);
          try {
            const value = await next();
            order.push(`${name} ok ${String(value)}`);
            return value;
          } catch (error) {
            order.push(`${name} failed ${(error as FerryError).code}`);
            throw error;
          }
        };
      const ferry = await runtime([], [step("first"), step("second")]);
      await ferry.call(Echo.methods.double, { n: 1 });
      await rejection(ferry.call(Echo.methods.double, { n: -1 }));
      expect(order).to.deep.equal(["first before", "second before", "second ok 2", "first ok 2", "first before", "second before", "second failed NEGATIVE", "first failed NEGATIVE"]);
    });
  });
});
