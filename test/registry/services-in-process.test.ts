import { expect } from "chai";
import { hostname } from "node:os";
import { Broker } from "../../packages/ferry/src/broker/broker.js";
import { connect } from "../../packages/ferry/src/connect.js";
import { defineService, method } from "../../packages/ferry/src/core/definition.js";
import { InvalidArgumentError } from "../../packages/ferry/src/core/errors.js";
import type { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { discoveryTopic, discoveryTopicMaxLength, encodeDiscoveryRequest } from "../../packages/ferry/src/core/registry/discovery-messages.js";
import { definitionHash } from "../../packages/ferry/src/core/registry/schema-hash.js";
import type { ServiceInfo } from "../../packages/ferry/src/core/registry/service-info.js";
import { Calculator, calculatorImpl, Ledger } from "../support/services.js";
import { fakeClock, type FakeClock } from "../support/fake-clock.js";
import { rejection, until } from "../support/wait.js";

/**
 * Discovery on the in-process broker, with the requester on a fake clock: a listing ends when the
 * test moves the clock past its wait, once every discovery group has read the request (the
 * broker's stats say so), so no answer is missed on a busy machine and nothing sleeps.
 */
describe("ferry.services() and ferry.ping() (in-process)", () => {
  let broker: Broker;
  let clock: FakeClock;
  let requester: Ferry;
  const runtimes: Ferry[] = [];

  beforeEach(async () => {
    broker = new Broker();
    clock = fakeClock();
    requester = await connect({ broker, clock });
  });

  afterEach(async () => {
    for (const runtime of runtimes.splice(0)) await runtime.close();
    await requester.close();
    broker.close();
  });

  async function runtime(): Promise<Ferry> {
    const ferry = await connect({ broker });
    runtimes.push(ferry);
    return ferry;
  }

  /** Every discovery group with a member has read (and acknowledged) everything published. */
  function discoveryRead(): boolean {
    const topic = broker.stats().topics.find((found) => found.name === discoveryTopic);
    return topic === undefined || topic.groups.every((group) => group.consumers === 0 || group.partitions.every((partition) => partition.lag === 0));
  }

  async function settle<T>(listing: Promise<T>, waitMs = 500): Promise<T> {
    await until(() => clock.timers() > 0, "the request to be sent");
    await until(discoveryRead, "every runtime to read the request");
    await clock.tick(waitMs);
    return listing;
  }

  function list(): Promise<ServiceInfo[]> {
    return settle(requester.services());
  }

  it("lists a served service with its instance, schema hash, start time and methods", async () => {
    const server = await runtime();
    const before = Date.now();
    await server.serve(Calculator, calculatorImpl);
    const services = await list();
    expect(services.map((service) => service.name)).to.deep.equal(["Calculator"]);
    const [instance] = services[0]!.instances;
    expect(instance).to.include({ host: hostname(), pid: process.pid, group: "Calculator", schemaHash: definitionHash(Calculator) });
    expect(instance!.instanceId).to.match(/^[0-9a-f]{16}$/);
    expect(instance!.startedAt).to.be.within(before - 1, Date.now());
    expect(instance!.methods.map((method) => method.name)).to.deep.equal(["add", "echo", "charge", "slow", "fail", "note"]);
    expect(instance!.methods.find((method) => method.name === "note")?.kind).to.equal("event");
  });

  it("counts each method's runs and errors, with the last error's code, message and time", async () => {
    const server = await runtime();
    await server.serve(Calculator, calculatorImpl);
    await requester.call(Calculator.methods.add, { a: 1, b: 2 });
    await requester.call(Calculator.methods.add, { a: 3, b: 4 });
    await requester.call(Calculator.methods.add, { a: 5, b: 6 });
    await rejection(requester.call(Calculator.methods.fail, { code: "FIRST" }));
    const failedAt = clock.now();
    await rejection(requester.call(Calculator.methods.fail, { code: "OUT_OF_STOCK" }));
    const methods = (await list())[0]!.instances[0]!.methods;
    const add = methods.find((method) => method.name === "add")!;
    expect(add).to.include({ handled: 3, errors: 0 });
    expect(add.lastError).to.equal(undefined);
    expect(add.averageMs).to.be.greaterThan(0);
    expect(add.p99Ms).to.be.greaterThan(0);
    const fail = methods.find((method) => method.name === "fail")!;
    expect(fail).to.include({ handled: 2, errors: 2 });
    expect(fail.lastError).to.deep.include({ code: "OUT_OF_STOCK", message: "failed with OUT_OF_STOCK" });
    expect(fail.lastError!.at).to.be.at.least(failedAt - 60_000);
    expect(methods.find((method) => method.name === "echo")).to.include({ handled: 0, errors: 0, averageMs: 0, p99Ms: 0 });
  });

  it("lists two runtimes serving one service as two instances, and each service of a runtime", async () => {
    const first = await runtime();
    const second = await runtime();
    await first.serve(Calculator, calculatorImpl);
    await first.serve(Ledger, { append: () => ({ ok: true as const }) });
    await second.serve(Calculator, calculatorImpl);
    const services = await list();
    expect(services.map((service) => service.name)).to.deep.equal(["Calculator", "Ledger"]);
    const ids = services[0]!.instances.map((instance) => instance.instanceId);
    expect(ids).to.have.length(2);
    expect(new Set(ids).size).to.equal(2);
    expect(services[1]!.instances).to.have.length(1);
    expect(ids).to.include(services[1]!.instances[0]!.instanceId);
  });

  it("pings each instance of a service, and nobody for a service nobody serves", async () => {
    const first = await runtime();
    const second = await runtime();
    await first.serve(Calculator, calculatorImpl);
    await second.serve(Calculator, calculatorImpl);
    await second.serve(Ledger, { append: () => ({ ok: true as const }) });
    const calculator = await settle(requester.ping("Calculator"));
    expect(calculator).to.have.length(2);
    for (const reply of calculator) {
      expect(reply).to.include({ host: hostname(), pid: process.pid });
      expect(reply.roundTripMs).to.be.at.least(0);
    }
    const ledger = await settle(requester.ping("Ledger"));
    expect(ledger).to.have.length(1);
    expect(await settle(requester.ping("Nobody"))).to.deep.equal([]);
  });

  it("stops listing a service once it is closed, and a runtime once it is closed", async () => {
    const first = await runtime();
    const second = await runtime();
    const served = await first.serve(Calculator, calculatorImpl);
    await first.serve(Ledger, { append: () => ({ ok: true as const }) });
    await second.serve(Calculator, calculatorImpl);
    await served.close();
    let services = await list();
    expect(services.find((service) => service.name === "Calculator")!.instances).to.have.length(1);
    expect(services.find((service) => service.name === "Ledger")!.instances).to.have.length(1);
    await second.close();
    services = await list();
    expect(services.map((service) => service.name)).to.deep.equal(["Ledger"]);
  });

  it("returns nothing at once when no runtime listens (the wait is not run)", async () => {
    expect(await requester.services()).to.deep.equal([]);
    expect(clock.timers()).to.equal(0);
    expect(await requester.ping("Calculator")).to.deep.equal([]);
  });

  it("never answers a request that expired before a runtime read it", async () => {
    // A runtime that served and stopped leaves its group; requests then wait in the topic for it.
    const gone = await runtime();
    await gone.serve(Calculator, calculatorImpl);
    const stale = await requester.transport.openReplyQueue();
    const answers: Uint8Array[] = [];
    stale.messages.subscribe((bytes) => answers.push(bytes));
    await gone.close();
    // A request that expired: the broker drops it at dequeue, and the runtime checks it too.
    const expired = encodeDiscoveryRequest({ verb: "info", id: "stale", replyTo: stale.name, expiresAt: Date.now() - 1 });
    await requester.transport.publish(discoveryTopic, expired, {});
    const late = await runtime();
    await late.serve(Calculator, calculatorImpl);
    // The late runtime's group starts at what the topic still holds: the stale request, then this listing.
    const services = await list();
    expect(services[0]!.instances).to.have.length(1);
    expect(answers).to.deep.equal([]);
    stale.close();
  });

  it("bounds what stopped runtimes' groups hold back on the embedded broker", async () => {
    const gone = await runtime();
    await gone.serve(Calculator, calculatorImpl);
    await gone.close();
    const request = encodeDiscoveryRequest({ verb: "ping", id: "x", replyTo: "_reply.none", expiresAt: Date.now() + 60_000 });
    for (let i = 0; i < discoveryTopicMaxLength + 500; i++) await requester.transport.publish(discoveryTopic, request, {});
    const topic = broker.stats().topics.find((found) => found.name === discoveryTopic)!;
    expect(topic.partitions).to.have.length(1);
    expect(topic.partitions[0]!.depth).to.equal(discoveryTopicMaxLength);
    expect(topic.partitions[0]!.dropped).to.equal(500);
  });

  it("refuses a wait that is not a positive number of milliseconds up to a minute", async () => {
    for (const waitMs of [0, -1, Number.NaN, 60_001, "5" as unknown as number]) {
      const error = await rejection(requester.services({ waitMs }));
      expect(error, String(waitMs)).to.be.instanceOf(InvalidArgumentError);
      expect(error.message).to.include("waitMs");
    }
  });
});

describe("definitionHash", () => {
  const build = (timeoutMs: number) => defineService("Hashed", { b: method<number, number>({ timeoutMs }), a: method<number, number>({ idempotent: true }) });

  it("is the same for equal definitions built separately, whatever their methods' order", () => {
    const reordered = defineService("Hashed", { a: method<number, number>({ idempotent: true }), b: method<number, number>({ timeoutMs: 5 }) });
    expect(definitionHash(build(5))).to.equal(definitionHash(reordered)).and.to.match(/^sha256:[0-9a-f]{64}$/);
  });

  it("changes when a method's tag changes", () => {
    expect(definitionHash(build(5))).not.to.equal(definitionHash(build(6)));
  });

  it("is codegen's schemaHash when the definition carries one", () => {
    const generated = defineService("Hashed", { a: method<number, number>() }, { schemaHash: "sha256:abc" });
    expect(definitionHash(generated)).to.equal("sha256:abc");
  });
});
