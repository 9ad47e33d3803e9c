import { expect } from "chai";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { HistogramMetricData, SumMetricData } from "@opentelemetry/sdk-metrics";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { connect, type ConnectOptions } from "../../packages/ferry/src/connect.js";
import type { CallContext } from "../../packages/ferry/src/core/context.js";
import { defineService, stream } from "../../packages/ferry/src/core/definition.js";
import { FerryError, UnauthenticatedError } from "../../packages/ferry/src/core/errors.js";
import type { Ferry } from "../../packages/ferry/src/core/ferry.js";
import type { ClientInterceptor, IncomingCall, ServerInterceptor } from "../../packages/ferry/src/core/interceptors.js";
import { Broker } from "../../packages/ferry/src/broker/broker.js";
import { startBroker, type RunningBroker } from "../../packages/ferry/src/broker/server/broker-server.js";
import { onlySpan, parentOf, registerSdk, type RegisteredSdk } from "../support/otel-sdk.js";
import { until } from "../support/wait.js";
import { drain } from "../conformance/streams.js";

const Feed = defineService("TraceFeed", {
  /** Yields 0 to `count - 1`; throws `OUT_OF_STOCK` at `failAt`. */
  count: stream<{ count: number; failAt?: number }, number>(),
  /** Yields the handler's headers as `name=value`, sorted. */
  headers: stream<Record<string, never>, string>(),
});

/** How many times a handler of Feed started: a refused stream never starts one. */
const started = { count: 0, headers: 0 };

const feedImpl = {
  async *count({ count, failAt }: { count: number; failAt?: number }): AsyncGenerator<number> {
    started.count++;
    for (let n = 0; n < count; n++) {
      if (n === failAt) throw new FerryError("OUT_OF_STOCK", `failed at ${n}`);
      yield n;
    }
  },
  async *headers(_request: Record<string, never>, context: CallContext): AsyncGenerator<string> {
    started.headers++;
    for (const [name, value] of Object.entries(context.headers).sort()) yield `${name}=${value}`;
  },
};

interface Place {
  name: string;
  start(): Promise<{ options: ConnectOptions; stop(): Promise<void> }>;
}

const places: Place[] = [
  {
    name: "in-process",
    async start() {
      const broker = new Broker();
      return { options: { broker }, stop: async () => broker.close() };
    },
  },
  {
    name: "TCP broker",
    async start() {
      const running: RunningBroker = await startBroker({ port: 0, log: () => {} });
      return { options: { url: running.url }, stop: () => running.close() };
    },
  },
];

function spansOf(sdk: RegisteredSdk, name: string, rpcMethod: string, status: string): ReadableSpan[] {
  return sdk.spans().filter((span) => span.name === name && span.attributes["rpc.method"] === rpcMethod && span.attributes["rpc.response.status_code"] === status);
}

for (const place of places) {
  describe(`stream telemetry over ${place.name}`, function () {
    let sdk: RegisteredSdk;
    let stop: () => Promise<void>;
    let server: Ferry;
    let client: Ferry;

    before(async () => {
      sdk = registerSdk();
      const running = await place.start();
      stop = running.stop;
      server = await connect(running.options);
      client = await connect(running.options);
      await server.serve(Feed, feedImpl);
    });

    after(async () => {
      await client?.close();
      await server?.close();
      await stop?.();
      await sdk?.close();
    });

    it("makes one client span over the whole stream, a send span, and a process span child of the send, each with its item count", async () => {
      const { items, error } = await drain(client.stream(Feed.methods.count, { count: 3 }));
      expect(error).to.equal(undefined);
      expect(items).to.deep.equal([0, 1, 2]);
      // The server's run is over just after its end is sent.
      await until(() => sdk.spans().some((span) => span.name === "process svc.TraceFeed"), "the process span to end");
      const spans = sdk.spans();
      const call = onlySpan(spans, "TraceFeed/count");
      const send = onlySpan(spans, "send svc.TraceFeed");
      const process = onlySpan(spans, "process svc.TraceFeed");
      expect([call, send, process].map((span) => span.kind)).to.deep.equal([SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER]);
      expect(new Set([call, send, process].map((span) => span.spanContext().traceId)).size).to.equal(1);
      expect(parentOf(call)).to.equal(undefined);
      expect(parentOf(send)).to.equal(call.spanContext().spanId);
      expect(parentOf(process)).to.equal(send.spanContext().spanId);
      const callId = call.attributes["ferry.call_id"];
      expect({ ...call.attributes }).to.deep.equal({
        "rpc.system.name": "ferry",
        "rpc.method": "TraceFeed/count",
        "ferry.call_id": callId,
        "rpc.response.status_code": "OK",
        "ferry.attempts": 1,
        "ferry.stream.items": 3,
      });
      expect(send.attributes).to.deep.include({ "messaging.destination.name": "svc.TraceFeed", "messaging.message.id": `${String(callId)}:1`, "ferry.attempt": 1 });
      expect(process.attributes).to.deep.include({
        "messaging.operation.type": "process",
        "messaging.message.id": `${String(callId)}:1`,
        "messaging.consumer.group.name": "TraceFeed",
        "rpc.method": "TraceFeed/count",
        "rpc.response.status_code": "OK",
        "ferry.stream.items": 3,
      });
      expect(process.attributes).not.to.have.property("error.type");
    });

    it("marks a stream failing mid-way with error.type on its client, send and process spans", async () => {
      const { items, error } = await drain(client.stream(Feed.methods.count, { count: 5, failAt: 2 }));
      expect(items).to.deep.equal([0, 1]);
      expect(error?.code).to.equal("OUT_OF_STOCK");
      await until(() => spansOf(sdk, "process svc.TraceFeed", "TraceFeed/count", "OUT_OF_STOCK").length === 1, "the failed process span to end");
      const [call] = spansOf(sdk, "TraceFeed/count", "TraceFeed/count", "OUT_OF_STOCK");
      expect(call!.status.code).to.equal(SpanStatusCode.ERROR);
      expect(call!.attributes).to.deep.include({ "error.type": "OUT_OF_STOCK", "ferry.stream.items": 2 });
      const [process] = spansOf(sdk, "process svc.TraceFeed", "TraceFeed/count", "OUT_OF_STOCK");
      expect(process!.status.code).to.equal(SpanStatusCode.ERROR);
      expect(process!.attributes).to.deep.include({ "error.type": "OUT_OF_STOCK", "ferry.stream.items": 2 });
      const sends = sdk.spans().filter((span) => span.name === "send svc.TraceFeed" && span.attributes["error.type"] === "OUT_OF_STOCK");
      expect(sends).to.have.length(1);
      expect(parentOf(sends[0]!)).to.equal(call!.spanContext().spanId);
    });

    it("records each stream's duration once and counts its items, per outcome", async () => {
      const metrics = await sdk.metrics();
      const point = <T extends { attributes: Record<string, unknown> }>(points: T[], status: string) =>
        points.find((found) => found.attributes["rpc.method"] === "TraceFeed/count" && found.attributes["rpc.response.status_code"] === status);
      for (const name of ["rpc.client.call.duration", "rpc.server.call.duration"]) {
        const duration = metrics.get(name) as HistogramMetricData;
        expect(point(duration.dataPoints, "OK")!.value.count, name).to.equal(1);
        const failed = point(duration.dataPoints, "OUT_OF_STOCK")!;
        expect(failed.value.count, name).to.equal(1);
        expect(failed.attributes["error.type"], name).to.equal("OUT_OF_STOCK");
      }
      for (const name of ["ferry.client.stream.items", "ferry.server.stream.items"]) {
        const items = metrics.get(name) as SumMetricData;
        expect(items.descriptor.unit, name).to.equal("{item}");
        expect(point(items.dataPoints, "OK")!.value, name).to.equal(3);
        expect(point(items.dataPoints, "OUT_OF_STOCK")!.value, name).to.equal(2);
      }
      const attempts = metrics.get("ferry.client.attempts") as SumMetricData;
      expect(attempts.dataPoints.reduce((sum, found) => sum + found.value, 0)).to.equal(2);
    });
  });

  describe(`stream interceptors and service stats over ${place.name}`, function () {
    let stop: () => Promise<void>;
    let options: ConnectOptions;
    const runtimes: Ferry[] = [];

    beforeEach(async () => {
      const running = await place.start();
      stop = running.stop;
      options = running.options;
      started.count = 0;
      started.headers = 0;
    });

    afterEach(async () => {
      for (const ferry of runtimes.splice(0)) await ferry.close();
      await stop();
    });

    async function runtime(interceptors: ClientInterceptor[] = [], serverInterceptors?: ServerInterceptor[]): Promise<Ferry> {
      const ferry = await connect({ ...options, interceptors, telemetry: false });
      runtimes.push(ferry);
      if (serverInterceptors !== undefined) await ferry.serve(Feed, feedImpl, { interceptors: serverInterceptors });
      return ferry;
    }

    it("lets a client interceptor add a header the handler sees, and observe the stream's end with its item count", async () => {
      await runtime([], []);
      const seen: { kind: string; service: string; method: string; request: unknown; deadline: number; attemptBefore: number; attemptAfter?: number; outcome?: string }[] = [];
      const caller = await runtime([
        async (call, next) => {
          call.headers["x-tenant"] = "blue";
          const entry: (typeof seen)[number] = { kind: call.kind, service: call.service, method: call.method, request: call.request, deadline: call.deadline, attemptBefore: call.attempt };
          seen.push(entry);
          try {
            const items = await next();
            entry.outcome = `ended with ${String(items)} items (${String(call.items)})`;
            return items;
          } catch (error) {
            entry.outcome = `failed ${(error as FerryError).code}`;
            throw error;
          } finally {
            entry.attemptAfter = call.attempt;
          }
        },
      ]);
      const { items, error } = await drain(caller.stream(Feed.methods.headers, {}, { headers: { mine: "1" } }));
      expect(error).to.equal(undefined);
      expect(items).to.deep.equal(["mine=1", "x-tenant=blue"]);
      await drain(caller.stream(Feed.methods.count, { count: 4, failAt: 1 }));
      expect(seen).to.deep.equal([
        { kind: "stream", service: "TraceFeed", method: "headers", request: {}, deadline: Infinity, attemptBefore: 0, attemptAfter: 1, outcome: "ended with 2 items (2)" },
        { kind: "stream", service: "TraceFeed", method: "count", request: { count: 4, failAt: 1 }, deadline: Infinity, attemptBefore: 0, attemptAfter: 1, outcome: "failed OUT_OF_STOCK" },
      ]);
    });

    it("refuses a stream whose client interceptor throws, or answers without calling next", async () => {
      await runtime([], []);
      const refusing = await runtime([
        async () => {
          throw new UnauthenticatedError("no token");
        },
      ]);
      const refused = await drain(refusing.stream(Feed.methods.count, { count: 2 }));
      expect(refused.items).to.deep.equal([]);
      expect(refused.error).to.be.instanceOf(UnauthenticatedError);
      expect(refused.error!.message).to.equal("no token");
      const answering = await runtime([async () => 42]);
      const answered = await drain(answering.stream(Feed.methods.count, { count: 2 }));
      expect(answered.error?.code).to.equal("INVALID_ARGUMENT");
      expect(answered.error!.message).to.contain("answered the stream TraceFeed.count without calling next()");
      expect(started.count).to.equal(0);
      const open = async (ferry: Ferry) => (await ferry.stats()).client.openStreams;
      expect((await open(refusing)) + (await open(answering))).to.equal(0);
    });

    it("sends nothing for a stream its consumer stopped while a client interceptor was still deciding", async () => {
      await runtime([], []);
      let release: () => void = () => {};
      const outcomes: string[] = [];
      const caller = await runtime([
        async (_call, next) => {
          await new Promise<void>((resolve) => (release = resolve));
          try {
            return await next();
          } catch (error) {
            outcomes.push((error as FerryError).code);
            throw error;
          }
        },
      ]);
      const iterator = caller.stream(Feed.methods.count, { count: 2 })[Symbol.asyncIterator]();
      expect(await iterator.return!()).to.deep.equal({ value: undefined, done: true });
      release();
      await until(() => outcomes.length === 1, "the interceptor's next() to settle");
      expect(outcomes).to.deep.equal(["CANCELLED"]);
      expect(started.count).to.equal(0);
    });

    it("lets a server interceptor add a header for the handler, see the items sent, and refuse a stream with a typed error", async () => {
      const handled: { kind: string; items: number | undefined; outcome: string }[] = [];
      const server = await runtime([], [
        async (call: IncomingCall, next) => {
          if (call.headers["authorization"] !== "Bearer ok") throw new UnauthenticatedError(`${call.service}.${call.method} needs a token`);
          call.headers["x-user"] = "ada";
          const items = await next();
          handled.push({ kind: call.kind, items: call.items, outcome: `sent ${String(items)}` });
          return items;
        },
      ]);
      const caller = await runtime();
      const allowed = await drain(caller.stream(Feed.methods.headers, {}, { headers: { authorization: "Bearer ok" } }));
      expect(allowed.items).to.deep.equal(["authorization=Bearer ok", "x-user=ada"]);
      const refused = await drain(caller.stream(Feed.methods.headers, {}));
      expect(refused.items).to.deep.equal([]);
      expect(refused.error).to.be.instanceOf(UnauthenticatedError);
      expect(refused.error!.message).to.equal("TraceFeed.headers needs a token");
      expect(started.headers).to.equal(1);
      await until(async () => Object.values((await server.stats()).servers).every((stats) => stats.running === 0), "the server's runs to be over");
      expect(handled).to.deep.equal([{ kind: "stream", items: 2, outcome: "sent 2" }]);
    });

    it("counts a stream run once in ferry.services(): handled, errors, latency and last error", async () => {
      const server = await runtime([], []);
      expect((await drain(server.stream(Feed.methods.count, { count: 3 }))).error).to.equal(undefined);
      expect((await drain(server.stream(Feed.methods.count, { count: 3, failAt: 1 }))).error?.code).to.equal("OUT_OF_STOCK");
      await until(async () => Object.values((await server.stats()).servers).every((stats) => stats.running === 0), "the server's runs to be over");
      const [service] = await server.services({ waitMs: 300 });
      expect(service?.name).to.equal("TraceFeed");
      const count = service!.instances[0]!.methods.find((found) => found.name === "count")!;
      expect({ kind: count.kind, handled: count.handled, errors: count.errors }).to.deep.equal({ kind: "stream", handled: 2, errors: 1 });
      expect(count.lastError).to.deep.include({ code: "OUT_OF_STOCK", message: "failed at 1" });
      expect(count.averageMs).to.be.greaterThan(0);
    });
  });
}
