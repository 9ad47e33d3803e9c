import { expect } from "chai";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { HistogramMetricData, SumMetricData } from "@opentelemetry/sdk-metrics";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { connect, type ConnectOptions } from "../../packages/ferry/src/connect.js";
import { defineService, event, method } from "../../packages/ferry/src/core/definition.js";
import { FerryError } from "../../packages/ferry/src/core/errors.js";
import type { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { Broker } from "../../packages/ferry/src/broker/broker.js";
import { startBroker, type RunningBroker } from "../../packages/ferry/src/broker/server/broker-server.js";
import { NatsServer, natsServerAvailable } from "../support/nats-server.js";
import { onlySpan, parentOf, registerSdk, type RegisteredSdk } from "../support/otel-sdk.js";
import { fakeClock } from "../support/fake-clock.js";
import { rejection, until } from "../support/wait.js";

const Shop = defineService("TraceShop", {
  order: method<{ sku: string }, { reserved: number }>(),
  refuse: method<Record<string, never>, never>(),
  placed: event<{ sku: string }>(),
});

/** Events `TraceShop.placed` handled so far. */
let placedEvents = 0;
const Stock = defineService("TraceStock", {
  reserve: method<{ sku: string }, number>(),
});

/** A place to run a runtime: its connect options, and how to stop what it started. */
interface Place {
  name: string;
  messagingSystem: string;
  start(): Promise<{ options: ConnectOptions; stop(): Promise<void> }>;
}

const places: Place[] = [
  {
    name: "in-process",
    messagingSystem: "ferry",
    async start() {
      const broker = new Broker();
      return { options: { broker }, stop: async () => broker.close() };
    },
  },
  {
    name: "TCP broker",
    messagingSystem: "ferry",
    async start() {
      const running: RunningBroker = await startBroker({ port: 0, log: () => {} });
      return { options: { url: running.url }, stop: () => running.close() };
    },
  },
  {
    name: "NATS",
    messagingSystem: "nats",
    async start() {
      const server = await NatsServer.start();
      return { options: { url: server.url }, stop: () => server.stop() };
    },
  },
];

/** Shop.order calls Stock.reserve from inside its handler: a nested call. */
async function serveBoth(server: Ferry): Promise<void> {
  await server.serve(Stock, { reserve: ({ sku }) => sku.length });
  await server.serve(Shop, {
    order: async ({ sku }) => ({ reserved: await server.call(Stock.methods.reserve, { sku }) }),
    refuse: () => {
      throw new FerryError("OUT_OF_STOCK", "nothing left");
    },
    placed: () => void placedEvents++,
  });
}

function attributesOf(span: ReadableSpan): Record<string, unknown> {
  return { ...span.attributes };
}

for (const place of places) {
  describe(`OpenTelemetry over ${place.name}`, function () {
    let sdk: RegisteredSdk;
    let stop: () => Promise<void>;
    let server: Ferry;
    let client: Ferry;

    before(async function () {
      if (place.name === "NATS" && !natsServerAvailable()) return this.skip();
      sdk = registerSdk();
      const started = await place.start();
      stop = started.stop;
      server = await connect(started.options);
      client = await connect(started.options);
      await serveBoth(server);
    });

    after(async () => {
      await client?.close();
      await server?.close();
      await stop?.();
      await sdk?.close();
    });

    it("makes a client span, a send span per attempt and a process span for a nested call, each the child of the one before", async () => {
      const reply = await client.call(Shop.methods.order, { sku: "abc" });
      expect(reply).to.deep.equal({ reserved: 3 });
      const spans = sdk.spans();
      const outer = onlySpan(spans, "TraceShop/order");
      const outerSend = onlySpan(spans, "send svc.TraceShop");
      const outerProcess = onlySpan(spans, "process svc.TraceShop");
      const inner = onlySpan(spans, "TraceStock/reserve");
      const innerSend = onlySpan(spans, "send svc.TraceStock");
      const innerProcess = onlySpan(spans, "process svc.TraceStock");

      const chain = [outer, outerSend, outerProcess, inner, innerSend, innerProcess];
      expect(new Set(chain.map((span) => span.spanContext().traceId)).size).to.equal(1);
      expect(parentOf(outer)).to.equal(undefined);
      for (let i = 1; i < chain.length; i++) expect(parentOf(chain[i]!), chain[i]!.name).to.equal(chain[i - 1]!.spanContext().spanId);
      expect(chain.map((span) => span.kind)).to.deep.equal([SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER]);

      const callId = attributesOf(outer)["ferry.call_id"];
      expect(attributesOf(outer)).to.deep.include({
        "rpc.system.name": "ferry",
        "rpc.method": "TraceShop/order",
        "rpc.response.status_code": "OK",
        "ferry.attempts": 1,
      });
      expect(attributesOf(outer)).not.to.have.property("error.type");
      expect(attributesOf(outerSend)).to.deep.equal({
        "messaging.system": place.messagingSystem,
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.destination.name": "svc.TraceShop",
        "messaging.message.id": `${String(callId)}:1`,
        "ferry.attempt": 1,
      });
      const process = attributesOf(outerProcess);
      expect(process).to.deep.include({
        "messaging.system": place.messagingSystem,
        "messaging.operation.type": "process",
        "messaging.destination.name": "svc.TraceShop",
        "messaging.message.id": `${String(callId)}:1`,
        "messaging.consumer.group.name": "TraceShop",
        "messaging.ferry.message.delivery_count": 1,
        "rpc.method": "TraceShop/order",
        "rpc.response.status_code": "OK",
      });
      expect(process["messaging.destination.partition.id"]).to.match(/^\d+$/);
    });

    it("makes a client span and a send span for an emit, and the handler's process span is the send span's child", async () => {
      const before = placedEvents;
      await client.emit(Shop.methods.placed, { sku: "abc" }, { idempotencyKey: `placed-${place.name}` });
      await until(() => placedEvents === before + 1, "the event handled");
      await until(() => sdk.spans().some((span) => span.name === "process svc.TraceShop" && span.attributes["rpc.method"] === "TraceShop/placed"), "its process span");
      const spans = sdk.spans();
      const emitted = onlySpan(spans, "TraceShop/placed");
      const send = spans.find((span) => span.name === "send svc.TraceShop" && parentOf(span) === emitted.spanContext().spanId)!;
      const process = spans.find((span) => span.name === "process svc.TraceShop" && span.attributes["rpc.method"] === "TraceShop/placed")!;
      expect(emitted.kind).to.equal(SpanKind.CLIENT);
      expect(attributesOf(emitted)).to.deep.include({ "rpc.method": "TraceShop/placed", "rpc.response.status_code": "OK", "ferry.attempts": 1 });
      expect(send.kind).to.equal(SpanKind.PRODUCER);
      expect(attributesOf(send)).to.deep.include({ "messaging.destination.name": "svc.TraceShop", "messaging.message.id": `placed-${place.name}` });
      expect(parentOf(process)).to.equal(send.spanContext().spanId);
      expect(process.attributes["messaging.message.id"]).to.equal(`placed-${place.name}`);
      expect(process.spanContext().traceId).to.equal(emitted.spanContext().traceId);
    });

    it("marks a failed call with error.type on its client and process spans", async () => {
      const error = await rejection(client.call(Shop.methods.refuse, {}));
      expect(error.code).to.equal("OUT_OF_STOCK");
      const spans = sdk.spans();
      const call = onlySpan(spans, "TraceShop/refuse");
      expect(call.status.code).to.equal(SpanStatusCode.ERROR);
      expect(attributesOf(call)).to.deep.include({ "error.type": "OUT_OF_STOCK", "rpc.response.status_code": "OUT_OF_STOCK" });
      const process = spans.filter((span) => span.name === "process svc.TraceShop" && span.attributes["rpc.method"] === "TraceShop/refuse");
      expect(process).to.have.length(1);
      expect(process[0]!.attributes["error.type"]).to.equal("OUT_OF_STOCK");
    });

    it("records call durations in seconds and counts attempts, per method", async () => {
      const metrics = await sdk.metrics();
      const clientDuration = metrics.get("rpc.client.call.duration") as HistogramMetricData;
      expect(clientDuration.descriptor.unit).to.equal("s");
      const byMethod = (data: HistogramMetricData, rpcMethod: string, status = "OK") =>
        data.dataPoints.find((point) => point.attributes["rpc.method"] === rpcMethod && point.attributes["rpc.response.status_code"] === status);
      // The tests before made one order (with its nested reserve), one event and one refused call.
      expect(byMethod(clientDuration, "TraceShop/order")!.value.count).to.equal(1);
      expect(byMethod(clientDuration, "TraceStock/reserve")!.value.count).to.equal(1);
      const refused = byMethod(clientDuration, "TraceShop/refuse", "OUT_OF_STOCK")!;
      expect(refused.value.count).to.equal(1);
      expect(refused.attributes["error.type"]).to.equal("OUT_OF_STOCK");
      const orderSeconds = byMethod(clientDuration, "TraceShop/order")!.value.sum;
      expect(orderSeconds).to.be.greaterThan(0).and.lessThan(10);
      const serverDuration = metrics.get("rpc.server.call.duration") as HistogramMetricData;
      expect(byMethod(serverDuration, "TraceShop/order")!.value.count).to.equal(1);
      expect(byMethod(serverDuration, "TraceStock/reserve")!.value.count).to.equal(1);
      const attempts = metrics.get("ferry.client.attempts") as SumMetricData;
      const total = attempts.dataPoints.reduce((sum, point) => sum + point.value, 0);
      expect(total).to.equal(4);
      expect(byMethod(clientDuration, "TraceShop/placed")!.value.count).to.equal(1);
      expect(metrics.has("ferry.client.retries")).to.equal(false);
    });
  });
}

describe("OpenTelemetry switches", function () {
  it("makes no span when connect({ telemetry: false })", async () => {
    const sdk = registerSdk();
    const broker = new Broker();
    try {
      const ferry = await connect({ broker, telemetry: false });
      await serveBoth(ferry);
      await ferry.call(Shop.methods.order, { sku: "x" });
      await ferry.close();
      expect(sdk.spans()).to.deep.equal([]);
      expect((await sdk.metrics()).size).to.equal(0);
    } finally {
      broker.close();
      await sdk.close();
    }
  });

  it("refuses interceptors that are not an array when telemetry is on too", async () => {
    const sdk = registerSdk();
    try {
      const error = await rejection(connect({ broker: new Broker(), interceptors: 5 as never }));
      expect(error.code).to.equal("INVALID_ARGUMENT");
      expect(error.message).to.contain("interceptors must be an array of functions, got number 5");
    } finally {
      await sdk.close();
    }
  });

  it("counts timeouts and retries, and keeps the caller's traceparent when the call has one", async () => {
    const sdk = registerSdk();
    const broker = new Broker();
    const Slow = defineService("TraceSlow", { wait: method<Record<string, never>, never>() });
    try {
      const server = await connect({ broker, telemetry: false });
      await server.serve(Slow, { wait: () => new Promise<never>(() => {}) }, { drainTimeoutMs: 10 });
      // The caller's time is a fake clock: two attempts of 1 s with 10 ms between them, whatever the machine's load.
      const clock = fakeClock();
      const ferry = await connect({ broker, clock });
      const traceId = "0af7651916cd43dd8448eb211c80319c";
      const backoff = { initialMs: 10, maxMs: 10, multiplier: 1, jitter: 0 };
      const failed = rejection(ferry.call(Slow.methods.wait, {}, { timeoutMs: 1_000, retries: 1, backoff, headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } }));
      await clock.tick(2_010);
      const error = await failed;
      expect(error.code).to.equal("TIMEOUT");
      await ferry.close();
      await server.close();
      const call = onlySpan(sdk.spans(), "TraceSlow/wait");
      expect(call.spanContext().traceId).to.equal(traceId);
      expect(parentOf(call)).to.equal("b7ad6b7169203331");
      expect(call.attributes["ferry.attempts"]).to.equal(2);
      const sends = sdk.spans().filter((span) => span.name === "send svc.TraceSlow");
      expect(sends.map((span) => span.attributes["error.type"])).to.deep.equal(["TIMEOUT", "TIMEOUT"]);
      const metrics = await sdk.metrics();
      const sum = (name: string) => (metrics.get(name) as SumMetricData).dataPoints.reduce((total, point) => total + point.value, 0);
      expect(sum("ferry.client.attempts")).to.equal(2);
      expect(sum("ferry.client.retries")).to.equal(1);
      expect(sum("ferry.client.timeouts")).to.equal(2);
    } finally {
      broker.close();
      await sdk.close();
    }
  });

  it("with a context manager (as NodeSDK registers), parents a call on the active span and makes the process span active in the handler", async () => {
    const sdk = registerSdk({ contextManager: true });
    const broker = new Broker();
    try {
      const ferry = await connect({ broker });
      const tracer = trace.getTracer("test-app");
      await ferry.serve(Stock, { reserve: ({ sku }) => tracer.startActiveSpan("count shelves", (span) => (span.end(), sku.length)) });
      const reply = await tracer.startActiveSpan("GET /checkout", async (span) => {
        try {
          return await ferry.call(Stock.methods.reserve, { sku: "abcd" });
        } finally {
          span.end();
        }
      });
      expect(reply).to.equal(4);
      await ferry.close();
      const spans = sdk.spans();
      const chain = ["GET /checkout", "TraceStock/reserve", "send svc.TraceStock", "process svc.TraceStock", "count shelves"].map((name) => onlySpan(spans, name));
      for (let i = 1; i < chain.length; i++) expect(parentOf(chain[i]!), chain[i]!.name).to.equal(chain[i - 1]!.spanContext().spanId);
    } finally {
      broker.close();
      await sdk.close();
    }
  });

  it("counts idempotency replays, redeliveries and dead letters", async () => {
    const sdk = registerSdk({ tracing: false });
    const broker = new Broker();
    const Flaky = defineService("TraceFlaky", {
      pay: method<{ n: number }, number>({ idempotent: true }),
      flop: method<Record<string, never>, never>(),
    });
    try {
      const ferry = await connect({ broker });
      await ferry.serve(Flaky, {
        pay: ({ n }) => n,
        flop: () => {
          throw new FerryError("BUSY", "try later", { retryable: true });
        },
      }, { redeliveryDelayMs: 1, topic: { maxDeliveries: 2 } });
      expect(await ferry.call(Flaky.methods.pay, { n: 1 }, { idempotencyKey: "k" })).to.equal(1);
      expect(await ferry.call(Flaky.methods.pay, { n: 1 }, { idempotencyKey: "k" })).to.equal(1);
      expect((await rejection(ferry.call(Flaky.methods.flop, {}))).code).to.equal("BUSY");
      await ferry.close();
      const metrics = await sdk.metrics();
      const sum = (name: string) => (metrics.get(name) as SumMetricData).dataPoints.reduce((total, point) => total + point.value, 0);
      expect(sum("ferry.server.idempotency.replays")).to.equal(1);
      expect(sum("ferry.server.redeliveries")).to.equal(1);
      expect(sum("ferry.server.dead_letters")).to.equal(1);
      expect((metrics.get("ferry.server.dead_letters") as SumMetricData).dataPoints[0]!.attributes).to.deep.include({ "rpc.method": "TraceFlaky/flop", "error.type": "BUSY" });
    } finally {
      broker.close();
      await sdk.close();
    }
  });
});
