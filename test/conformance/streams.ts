import { expect } from "chai";
import { lastValueFrom, take, tap, toArray } from "rxjs";
import { currentContext, type CallContext } from "../../packages/ferry/src/core/context.js";
import {
  CancelledError,
  DeadlineExceededError,
  InternalError,
  InvalidArgumentError,
  PayloadTooLargeError,
  ProtocolError,
  QueueFullError,
  RemoteError,
  TimeoutError,
  UnavailableError,
} from "../../packages/ferry/src/core/errors.js";
import type { Ferry } from "../../packages/ferry/src/core/ferry.js";
import type { Delivery, Transport } from "../../packages/ferry/src/core/transport.js";
import { defaultStreamWindow } from "../../packages/ferry/src/core/defaults.js";
import { decodeItemBatch } from "../../packages/ferry/src/core/stream/item-batch.js";
import { decodeValue, defaultDecodeLimits, encodeValue } from "../../packages/ferry/src/core/wire/codec.js";
import { decodeEnvelope, encodeEnvelope, MessageKind, type Envelope } from "../../packages/ferry/src/core/wire/envelope.js";
import { Counter, counterImpl, counterProbe, type CounterProbe } from "../support/stream-services.js";
import { turn, until } from "../support/wait.js";
import { useHarness, type ConformanceTarget } from "./harness.js";

/** Everything an iteration yields before it ends, and the error it ended with (if any). */
export async function drain<T>(items: AsyncIterable<T>): Promise<{ items: T[]; error: (Error & { code?: string }) | undefined }> {
  const seen: T[] = [];
  try {
    for await (const item of items) seen.push(item);
  } catch (error) {
    return { items: seen, error: error as Error & { code?: string } };
  }
  return { items: seen, error: undefined };
}

/** Messages arriving on a raw reply queue, decoded, in order, with each one's size in bytes. */
export async function rawInbox(transport: Transport): Promise<{ name: string; messages: Envelope[]; sizes: number[] }> {
  const queue = await transport.openReplyQueue();
  const messages: Envelope[] = [];
  const sizes: number[] = [];
  queue.messages.subscribe((bytes) => {
    messages.push(decodeEnvelope(bytes));
    sizes.push(bytes.length);
  });
  return { name: queue.name, messages, sizes };
}

/** How many items `messages` carry (for `correlationId`, if given): one per `StreamItem`, and a batch's count per `StreamItems`. */
export function itemsIn(messages: readonly Envelope[], correlationId?: string): number {
  let items = 0;
  for (const message of messages) {
    if (correlationId !== undefined && message.correlationId !== correlationId) continue;
    if (message.kind === MessageKind.StreamItem) items++;
    else if (message.kind === MessageKind.StreamItems) items += decodeItemBatch(message.body, defaultDecodeLimits).length;
  }
  return items;
}

/** The transport, with every message arriving on its reply queues shown to `seen` first. */
function tapReplies(transport: Transport, seen: (envelope: Envelope) => void): Transport {
  return Object.assign(Object.create(transport) as Transport, {
    openReplyQueue: async () => {
      const queue = await transport.openReplyQueue();
      return { name: queue.name, close: () => queue.close(), messages: queue.messages.pipe(tap((bytes: Uint8Array) => seen(decodeEnvelope(bytes)))) };
    },
  });
}

export function describeStreams(target: ConformanceTarget): void {
  describe("streams", () => {
    const harness = useHarness(target);
    let probe: CounterProbe;

    async function served(options: Parameters<Ferry["serve"]>[2] = {}): Promise<Ferry> {
      probe = counterProbe();
      const server = await harness().runtime();
      await server.serve(Counter, counterImpl(probe), options);
      return server;
    }

    it("delivers every item in order, then ends", async () => {
      await served();
      const client = await harness().runtime();
      const { items, error } = await drain(client.stream(Counter.methods.count, { count: 300 }, { window: 16 }));
      expect(error).to.equal(undefined);
      expect(items.map((item) => item.n)).to.deep.equal([...Array(300).keys()]);
      await until(() => probe.finallyRan === 1, "the generator's finally");
      expect((await client.stats()).client).to.include({ pending: 0, openStreams: 0 });
    });

    it("runs the generator in its call's context, on every item", async () => {
      const server = await harness().runtime();
      const seen: boolean[] = [];
      await server.serve(Counter, {
        async *count(_request: unknown, context: CallContext) {
          for (let n = 0; n < 3; n++) {
            await Promise.resolve();
            seen.push(currentContext() === context);
            yield { n };
          }
        },
      });
      const client = await harness().runtime();
      const { items } = await drain(client.stream(Counter.methods.count, {}, { window: 1 }));
      expect(items).to.have.length(3);
      expect(seen).to.deep.equal([true, true, true]);
    });

    it("delivers the items before a handler's error, then the typed error", async () => {
      await served();
      const client = await harness().runtime();
      const { items, error } = await drain(client.stream(Counter.methods.count, { count: 10, failAt: 3 }));
      expect(items.map((item) => item.n)).to.deep.equal([0, 1, 2]);
      expect(error).to.be.instanceOf(RemoteError);
      expect(error?.code).to.equal("OUT_OF_STOCK");
      expect(error?.message).to.equal("failed at 3");
    });

    it("stops the server's generator when the consumer breaks out, and its finally runs", async () => {
      const server = await served();
      const client = await harness().runtime();
      const seen: number[] = [];
      for await (const item of client.stream(Counter.methods.count, {}, { window: 4 })) {
        seen.push(item.n);
        if (seen.length === 5) break;
      }
      expect(seen).to.deep.equal([0, 1, 2, 3, 4]);
      await until(() => probe.finallyRan === 1, "the generator's finally");
      expect(probe.abortReasons[0]).to.be.instanceOf(CancelledError);
      await until(() => server.stats().then((stats) => stats.servers["Counter#Counter"]!.running === 0), "the run to end");
      expect((await client.stats()).client.openStreams).to.equal(0);
    });

    it("stops the server's generator when the caller aborts, and the iteration fails with CANCELLED", async () => {
      await served();
      const client = await harness().runtime();
      const controller = new AbortController();
      const seen: number[] = [];
      const outcome = drain(
        (async function* () {
          for await (const item of client.stream(Counter.methods.count, {}, { window: 4, signal: controller.signal })) {
            seen.push(item.n);
            if (seen.length === 3) controller.abort(new Error("the user left"));
            yield item;
          }
        })(),
      );
      const { error } = await outcome;
      expect(error).to.be.instanceOf(CancelledError);
      expect(error?.message).to.equal("the user left");
      expect(seen).to.deep.equal([0, 1, 2]);
      await until(() => probe.finallyRan === 1, "the generator's finally");
      expect(probe.abortReasons[0]).to.be.instanceOf(CancelledError);
    });

    it("stops a stream at its deadline on both sides, after the items it delivered", async () => {
      probe = counterProbe();
      const server = await harness().runtime();
      let stuck = false;
      await server.serve(Counter, {
        async *count(_request: unknown, context: CallContext) {
          try {
            yield { n: 0 };
            stuck = true;
            await new Promise((resolve) => context.signal.addEventListener("abort", resolve));
          } finally {
            probe.finallyRan++;
            probe.abortReasons.push(context.signal.reason);
          }
        },
      });
      const client = await harness().runtime();
      const deadline = harness().clock.now() + 2_000;
      const iterator = client.stream(Counter.methods.count, {}, { deadline, timeoutMs: 60_000 })[Symbol.asyncIterator]();
      expect((await iterator.next()).value).to.deep.equal({ n: 0 });
      await until(() => stuck, "the generator to wait");
      const outcome = iterator.next().then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      await harness().clock.tick(2_000);
      expect(await outcome).to.be.instanceOf(DeadlineExceededError);
      await until(() => probe.finallyRan === 1, "the generator's finally");
      // The caller's deadline sends a Cancel, and the server has the same deadline: either stops it first.
      expect((probe.abortReasons[0] as { code: string }).code).to.be.oneOf(["CANCELLED", "DEADLINE_EXCEEDED"]);
    });

    it("fails with TIMEOUT when no item comes within timeoutMs of asking for it, and stops the generator", async () => {
      probe = counterProbe();
      const server = await harness().runtime();
      await server.serve(Counter, {
        async *count(_request: unknown, context: CallContext) {
          try {
            yield { n: 0 };
            await new Promise((resolve) => context.signal.addEventListener("abort", resolve));
          } finally {
            probe.finallyRan++;
          }
        },
      });
      const client = await harness().runtime();
      const iterator = client.stream(Counter.methods.count, {}, { timeoutMs: 5_000 })[Symbol.asyncIterator]();
      expect((await iterator.next()).value).to.deep.equal({ n: 0 });
      // The consumer asks for the next item 3 s later: its 5 s count from then.
      await harness().clock.tick(3_000);
      let failure: Error | undefined;
      const outcome = iterator.next().catch((error: unknown) => (failure = error as Error));
      await harness().clock.tick(4_999);
      expect(failure).to.equal(undefined);
      await harness().clock.tick(1);
      await outcome;
      expect(failure).to.be.instanceOf(TimeoutError);
      expect(failure?.message).to.equal("no item from Counter.count within 5000 ms");
      await until(() => probe.finallyRan === 1, "the generator's finally");
    });

    it("pulls the server's generator at most a window ahead of what a slow consumer took", async () => {
      const window = 8;
      await served();
      const client = await harness().runtime();
      const iterator = client.stream(Counter.methods.count, { count: 100 }, { window })[Symbol.asyncIterator]();
      let requested = 0;
      let mostAhead = 0;
      for (let taken = 0; taken < 100; taken++) {
        requested++;
        const step = await iterator.next();
        expect(step).to.deep.equal({ value: { n: taken }, done: false });
        // A slow consumer: it lets the server run as far as it may before taking the next item.
        for (let i = 0; i < 20; i++) await turn();
        mostAhead = Math.max(mostAhead, probe.pulled - requested);
        expect(probe.pulled, `pulled after ${requested} requested`).to.be.at.most(requested + window);
        if (taken === 0) {
          // The server fills the window, and stops there.
          await until(() => probe.pulled === window, "the window to fill");
          await new Promise((resolve) => setTimeout(resolve, 50));
          expect(probe.pulled).to.equal(window);
        }
      }
      expect(await iterator.next()).to.deep.equal({ value: undefined, done: true });
      expect(mostAhead).to.be.at.most(window);
    });

    it("offers the stream as an rxjs Observable, and unsubscribing stops the generator", async () => {
      await served();
      const client = await harness().runtime();
      const all = await lastValueFrom(client.stream(Counter.methods.count, { count: 5 }).asObservable().pipe(toArray()));
      expect(all.map((item) => item.n)).to.deep.equal([0, 1, 2, 3, 4]);
      const firstThree = await lastValueFrom(client.stream(Counter.methods.count, {}, { window: 4 }).asObservable().pipe(take(3), toArray()));
      expect(firstThree.map((item) => item.n)).to.deep.equal([0, 1, 2]);
      await until(() => probe.finallyRan === 2, "the endless generator's finally");
    });

    it("ends a stream whose item passes the message limit with PAYLOAD_TOO_LARGE, after the items before it", async () => {
      probe = counterProbe();
      const server = await harness().runtime();
      await server.serve(Counter, {
        async *count(_request: unknown) {
          try {
            yield { n: 0 };
            yield { n: 1, pad: "x".repeat(2 * 1024 * 1024) };
            yield { n: 2 };
          } finally {
            probe.finallyRan++;
          }
        },
      });
      const client = await harness().runtime();
      const { items, error } = await drain(client.stream(Counter.methods.count, {}));
      expect(items).to.deep.equal([{ n: 0 }]);
      expect(error).to.be.instanceOf(PayloadTooLargeError);
      expect(error?.message).to.contain("item 1 of Counter.count");
      await until(() => probe.finallyRan === 1, "the generator's finally");
    });

    it("refuses a handler that returns no AsyncIterable with INTERNAL", async () => {
      const server = await harness().runtime();
      await server.serve(Counter, { count: () => [1, 2, 3] as never });
      const client = await harness().runtime();
      const { items, error } = await drain(client.stream(Counter.methods.count, {}));
      expect(items).to.deep.equal([]);
      expect(error).to.be.instanceOf(InternalError);
      expect(error?.message).to.contain("not an AsyncIterable");
    });

    it("refuses a window of 0, a negative or an absurd one, on the client and on the server", async () => {
      await served();
      const client = await harness().runtime();
      for (const window of [0, -3, 1.5, 1_000_000]) {
        expect(() => client.stream(Counter.methods.count, {}, { window }), `window ${window}`).to.throw(InvalidArgumentError, "window must be a whole number of items from 1 to 1024");
      }
      const raw = await harness().transport();
      const inbox = await rawInbox(raw);
      for (const [index, window] of [0, -3, 1_000_000].entries()) {
        const request = { kind: MessageKind.Request, id: `raw-${index}`, correlationId: `c${index}`, replyTo: inbox.name, service: "Counter", method: "count", body: encodeValue({}), sequence: window } as const;
        await raw.publish("svc.Counter", encodeEnvelope(request));
      }
      await until(() => inbox.messages.length === 3, "three refusals");
      for (const message of inbox.messages) {
        expect(message.kind).to.equal(MessageKind.Reply);
        expect(message.error?.code).to.equal("INVALID_ARGUMENT");
      }
      expect(probe.pulled).to.equal(0);
    });

    it("ends a stream given a hostile credit with PROTOCOL_ERROR, its finally runs, and other streams go on", async () => {
      await served();
      const client = await harness().runtime();
      const honest = client.stream(Counter.methods.count, { count: 50 }, { window: 4 })[Symbol.asyncIterator]();
      expect((await honest.next()).value).to.deep.equal({ n: 0 });
      const raw = await harness().transport();
      const inbox = await rawInbox(raw);
      const hostile = [-5, 0.5, 1e12, 2];
      for (const [index, credit] of hostile.entries()) {
        const id = `hostile-${index}`;
        const correlationId = `h${index}`;
        await raw.publish("svc.Counter", encodeEnvelope({ kind: MessageKind.Request, id, correlationId, replyTo: inbox.name, service: "Counter", method: "count", body: encodeValue({}), sequence: 4 }));
        await until(() => inbox.messages.some((message) => message.correlationId === correlationId && message.kind === MessageKind.Started), "the stream to start");
        const started = inbox.messages.find((message) => message.correlationId === correlationId && message.kind === MessageKind.Started)!;
        await until(() => itemsIn(inbox.messages, correlationId) === 4, "the window to fill");
        raw.reply(started.replyTo!, encodeEnvelope({ kind: MessageKind.Credit, id, correlationId, sequence: credit }));
        await until(() => inbox.messages.some((message) => message.correlationId === correlationId && message.kind === MessageKind.StreamEnd), "the stream's end");
        const end = inbox.messages.find((message) => message.correlationId === correlationId && message.kind === MessageKind.StreamEnd)!;
        expect(end.error?.code, `credit ${credit}`).to.equal("PROTOCOL_ERROR");
        expect(end.sequence).to.equal(4);
      }
      await until(() => probe.finallyRan === hostile.length, "every hostile stream's finally");
      const rest: number[] = [];
      for (let step = await honest.next(); step.done !== true; step = await honest.next()) rest.push(step.value.n);
      expect(rest).to.deep.equal([...Array(49).keys()].map((n) => n + 1));
    });

    it("fails a stream with a gap, or an item beyond its credit, with PROTOCOL_ERROR after the items before it", async () => {
      const fake = await harness().transport();
      const plans: Record<string, number[]> = { gap: [0, 2], overrun: [0, 1, 2] };
      await fake.consume("svc.Counter", "Counter", (delivery: Delivery) => {
        const request = decodeEnvelope(delivery.bytes);
        const plan = plans[(decodeValue(request.body!) as { pad: string }).pad]!;
        delivery.ack();
        fake.reply(request.replyTo!, encodeEnvelope({ kind: MessageKind.Started, correlationId: request.correlationId, replyTo: "nowhere" }));
        for (const sequence of plan) fake.reply(request.replyTo!, encodeEnvelope({ kind: MessageKind.StreamItem, correlationId: request.correlationId, sequence, body: encodeValue({ n: sequence }) }));
      });
      const client = await harness().runtime();
      const gap = await drain(client.stream(Counter.methods.count, { pad: "gap" } as never));
      expect(gap.items).to.deep.equal([{ n: 0 }]);
      expect(gap.error).to.be.instanceOf(ProtocolError);
      expect(gap.error?.message).to.contain("item 2 of Counter.count arrived where item 1 was due");
      // The consumer takes nothing until the stream has failed, so the credit stays at the window.
      const overrun = client.stream(Counter.methods.count, { pad: "overrun" } as never, { window: 2 })[Symbol.asyncIterator]();
      await until(() => client.stats().then((stats) => stats.client.openStreams === 0), "the overrun to end the stream");
      expect((await overrun.next()).value).to.deep.equal({ n: 0 });
      expect((await overrun.next()).value).to.deep.equal({ n: 1 });
      const error = await overrun.next().then(
        () => undefined,
        (failure: unknown) => failure as Error,
      );
      expect(error).to.be.instanceOf(ProtocolError);
      expect(error?.message).to.contain("item 2 of Counter.count is beyond the credit of 2 items");
    });

    it("counts an item after the end as an unknown reply, and breaks nothing", async () => {
      const fake = await harness().transport();
      await fake.consume("svc.Counter", "Counter", (delivery: Delivery) => {
        const request = decodeEnvelope(delivery.bytes);
        delivery.ack();
        const to = request.replyTo!;
        fake.reply(to, encodeEnvelope({ kind: MessageKind.StreamItem, correlationId: request.correlationId, sequence: 0, body: encodeValue({ n: 0 }) }));
        fake.reply(to, encodeEnvelope({ kind: MessageKind.StreamEnd, correlationId: request.correlationId, sequence: 1 }));
        fake.reply(to, encodeEnvelope({ kind: MessageKind.StreamItem, correlationId: request.correlationId, sequence: 1, body: encodeValue({ n: 1 }) }));
      });
      const client = await harness().runtime();
      const { items, error } = await drain(client.stream(Counter.methods.count, {}));
      expect(items).to.deep.equal([{ n: 0 }]);
      expect(error).to.equal(undefined);
      await until(() => client.stats().then((stats) => stats.client.unknownReplies === 1), "the late item to be counted");
      expect((await client.stats()).client).to.include({ pending: 0, openStreams: 0 });
    });

    it("fails a stream whose server went silent with UNAVAILABLE after three heartbeats, after the items received", async () => {
      const fake = await harness().transport();
      const control = await rawInbox(fake);
      await fake.consume("svc.Counter", "Counter", (delivery: Delivery) => {
        const request = decodeEnvelope(delivery.bytes);
        delivery.ack();
        fake.reply(request.replyTo!, encodeEnvelope({ kind: MessageKind.Started, correlationId: request.correlationId, replyTo: control.name }));
        fake.reply(request.replyTo!, encodeEnvelope({ kind: MessageKind.StreamItem, correlationId: request.correlationId, sequence: 0, body: encodeValue({ n: 0 }) }));
      });
      const client = await harness().runtime({ streamHeartbeatMs: 1_000 });
      const iterator = client.stream(Counter.methods.count, {}, { timeoutMs: 60_000 })[Symbol.asyncIterator]();
      expect((await iterator.next()).value).to.deep.equal({ n: 0 });
      const outcome = iterator.next().then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      await harness().clock.tick(1_000);
      // Taking item 0 granted the window beyond it; then the caller pings a silent server with that credit, unchanged.
      const credits = () => control.messages.filter((message) => message.kind === MessageKind.Credit).map((message) => message.sequence);
      await until(() => credits().length === 2, "a ping");
      expect(credits()).to.deep.equal([1 + defaultStreamWindow, 1 + defaultStreamWindow]);
      await harness().clock.tick(2_000);
      const error = await outcome;
      expect(error).to.be.instanceOf(UnavailableError);
      expect(error?.message).to.contain("sent nothing for 3000 ms");
    });

    it("keeps a quiet stream alive with heartbeats, and stops one whose caller went silent", async () => {
      await served({ streamIdleTimeoutMs: 10_000 });
      let heartbeats = 0;
      const client = await harness().runtime({ streamHeartbeatMs: 1_000 }, (transport) => tapReplies(transport, (envelope) => {
        if (envelope.kind === MessageKind.Heartbeat) heartbeats++;
      }));
      const iterator = client.stream(Counter.methods.count, {}, { window: 2 })[Symbol.asyncIterator]();
      expect((await iterator.next()).value).to.deep.equal({ n: 0 });
      // A consumer that takes nothing more for 20 s: each second it pings, and the server answers.
      for (let second = 1; second <= 20; second++) {
        await harness().clock.tick(1_000);
        await until(() => heartbeats === second, `heartbeat ${second}`);
      }
      expect(probe.finallyRan).to.equal(0);
      expect((await iterator.next()).value).to.deep.equal({ n: 1 });
      // A caller that sends nothing (as a raw one that never grants or pings) is stopped after the idle timeout.
      const raw = await harness().transport();
      const inbox = await rawInbox(raw);
      await raw.publish("svc.Counter", encodeEnvelope({ kind: MessageKind.Request, id: "silent", correlationId: "s", replyTo: inbox.name, service: "Counter", method: "count", body: encodeValue({}), sequence: 2 }));
      await until(() => itemsIn(inbox.messages) === 2, "the window to fill");
      await harness().clock.tick(10_000);
      await until(() => inbox.messages.some((message) => message.kind === MessageKind.StreamEnd), "the stream's end");
      expect(inbox.messages.find((message) => message.kind === MessageKind.StreamEnd)!.error?.code).to.equal("UNAVAILABLE");
      await until(() => probe.finallyRan >= 1, "the silent stream's finally");
      await iterator.return!();
    });

    it("fails a stream at once with QUEUE_FULL when maxOpenStreams are open", async () => {
      await served();
      const client = await harness().runtime({ maxOpenStreams: 1 });
      const first = client.stream(Counter.methods.count, {}, { window: 2 })[Symbol.asyncIterator]();
      expect((await first.next()).value).to.deep.equal({ n: 0 });
      const { error } = await drain(client.stream(Counter.methods.count, { count: 1 }));
      expect(error).to.be.instanceOf(QueueFullError);
      await first.return!();
      const { items } = await drain(client.stream(Counter.methods.count, { count: 2 }));
      expect(items).to.deep.equal([{ n: 0 }, { n: 1 }]);
    });
  });
}
