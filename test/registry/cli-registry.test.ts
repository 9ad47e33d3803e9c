import { expect } from "chai";
import { startBroker, type RunningBroker } from "../../packages/ferry/src/broker/server/broker-server.js";
import { commands } from "../../packages/ferry/src/cli/commands.js";
import { connect } from "../../packages/ferry/src/connect.js";
import { defaultCallTimeoutMs } from "../../packages/ferry/src/core/client.js";
import { defineService, method } from "../../packages/ferry/src/core/definition.js";
import type { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { hashKey } from "../../packages/ferry/src/core/partition.js";
import { defaultDiscoveryWaitMs } from "../../packages/ferry/src/core/registry/discover.js";
import type { PingReply, ServiceInfo } from "../../packages/ferry/src/core/registry/service-info.js";
import { serviceTopic } from "../../packages/ferry/src/core/topics.js";
import { freePort } from "../support/free-port.js";
import { useNatsServer } from "../support/nats-server.js";
import { expectOneLineFailure, runFerry } from "../support/run-ferry.js";
import { startServeProcess, type ServeProcess } from "../support/serve-process.js";
import { Calculator, calculatorImpl } from "../support/services.js";
import { rejection } from "../support/wait.js";

/**
 * Long enough for every instance to answer on a machine shared with other test runs; the
 * listing always takes this long, so it is no assertion on speed.
 */
const waitMs = "1500";

/** A service whose handler shows what a call carried. */
const Probe = defineService("CliProbe", {
  headers: method<unknown, Record<string, string>>(),
  big: method<void, { n: bigint; bytes: Uint8Array }>(),
  slow: method<void, string>(),
});

async function services(url: string): Promise<ServiceInfo[]> {
  const run = await runFerry(["services", "--url", url, "--json", "--wait-ms", waitMs]);
  expect(run.status, run.stderr).to.equal(0);
  return JSON.parse(run.stdout) as ServiceInfo[];
}

/**
 * `ferry services`, `ferry ping` and `ferry call` as processes against a broker at `url()`: one
 * `Calculator` served in this process (which takes the calls made before the second one starts),
 * a second in a child process.
 */
function cliAgainst(url: () => string): void {
  let local: Ferry;
  let remote: ServeProcess | undefined;

  before(async () => {
    local = await connect({ url: url() });
    await local.serve(Calculator, calculatorImpl);
    await local.serve(Probe, {
      headers: (_request, context) => ({ ...context.headers }),
      big: () => ({ n: 2n ** 63n - 1n, bytes: new Uint8Array([1, 2, 3]) }),
      slow: (_request, context) => new Promise<string>((resolve) => context.signal.addEventListener("abort", () => resolve("aborted"))),
    });
    // Known calls, all handled by `local`: 3 adds, 2 failures (the last with OUT_OF_STOCK).
    const caller = await connect({ url: url() });
    try {
      for (const [a, b] of [[1, 2], [3, 4], [5, 6]] as const) await caller.call(Calculator.methods.add, { a, b });
      await rejection(caller.call(Calculator.methods.fail, {}));
      await rejection(caller.call(Calculator.methods.fail, { code: "OUT_OF_STOCK" }));
    } finally {
      await caller.close();
    }
    remote = await startServeProcess(url());
  });

  after(async () => {
    await remote?.stop();
    await local?.close();
  });

  it("ferry services lists both instances, with the counts, latency and last error of the calls made", async () => {
    const listed = await services(url());
    const calculator = listed.find((service) => service.name === "Calculator")!;
    expect(calculator.instances.map((instance) => instance.pid).sort()).to.deep.equal([process.pid, remote!.child.pid!].sort());
    const mine = calculator.instances.find((instance) => instance.pid === process.pid)!;
    const add = mine.methods.find((found) => found.name === "add")!;
    expect(add).to.include({ handled: 3, errors: 0 });
    expect(add.averageMs).to.be.greaterThan(0);
    expect(add.p99Ms).to.be.greaterThan(0);
    const fail = mine.methods.find((found) => found.name === "fail")!;
    expect(fail).to.include({ handled: 2, errors: 2 });
    expect(fail.lastError).to.deep.include({ code: "OUT_OF_STOCK", message: "failed with OUT_OF_STOCK" });
    const theirs = calculator.instances.find((instance) => instance.pid !== process.pid)!;
    expect(theirs.methods.find((found) => found.name === "add")).to.include({ handled: 0, errors: 0 });
    expect(theirs.schemaHash).to.equal(mine.schemaHash);
    expect(listed.find((service) => service.name === "CliProbe")!.instances).to.have.length(1);
  });

  it("ferry services prints a table without --json", async () => {
    const run = await runFerry(["services", "--url", url(), "--wait-ms", waitMs]);
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.include("Calculator  (2 instances)");
    expect(run.stdout).to.match(/^\s+fail\s+call\s+2\s+2\s+[\d.]+\s+[\d.]+\s+OUT_OF_STOCK: failed with OUT_OF_STOCK/m);
    expect(run.stdout).to.include(`pid ${remote!.child.pid}`);
  });

  it("ferry ping answers for each instance with its round trip", async () => {
    const run = await runFerry(["ping", "Calculator", "--url", url(), "--json", "--wait-ms", waitMs]);
    expect(run.status, run.stderr).to.equal(0);
    const replies = JSON.parse(run.stdout) as PingReply[];
    expect(replies.map((reply) => reply.pid).sort()).to.deep.equal([process.pid, remote!.child.pid!].sort());
    for (const reply of replies) expect(reply.roundTripMs).to.be.a("number").and.at.least(0);
    const text = await runFerry(["ping", "CliProbe", "--url", url(), "--wait-ms", waitMs]);
    expect(text.status, text.stderr).to.equal(0);
    expect(text.stdout).to.match(new RegExp(`^CliProbe instance [0-9a-f]{16} on .+ pid ${process.pid}: [\\d.]+ ms\\n$`));
  });

  it("ferry ping of a service nobody serves says so and exits 1", async () => {
    const line = expectOneLineFailure(await runFerry(["ping", "Nobody", "--url", url(), "--wait-ms", "300"]), "ping");
    expect(line).to.include("no instance of Nobody answered within 300 ms");
  });

  it("ferry call sends JSON and prints the JSON response", async () => {
    const run = await runFerry(["call", "--url", url(), "Calculator.add", '{"a":2,"b":40}']);
    expect(run.status, run.stderr).to.equal(0);
    expect(JSON.parse(run.stdout)).to.deep.equal({ sum: 42 });
  });

  it("ferry call sends every --header", async () => {
    const run = await runFerry(["call", "--url", url(), "--header", "tenant=acme", "--header", "x-trace=a=b", "CliProbe.headers", "{}"]);
    expect(run.status, run.stderr).to.equal(0);
    expect(JSON.parse(run.stdout)).to.deep.equal({ tenant: "acme", "x-trace": "a=b" });
  });

  it("ferry call prints big integers as strings and bytes as base64", async () => {
    const run = await runFerry(["call", "--url", url(), "CliProbe.big"]);
    expect(run.status, run.stderr).to.equal(0);
    expect(JSON.parse(run.stdout)).to.deep.equal({ n: "9223372036854775807", bytes: "AQID" });
  });

  it("ferry call prints a typed error's code, message and data, and exits 1", async () => {
    const line = expectOneLineFailure(await runFerry(["call", "--url", url(), "Calculator.fail", '{"code":"OUT_OF_STOCK"}']), "call");
    expect(line).to.equal('ferry call: OUT_OF_STOCK: failed with OUT_OF_STOCK (data: {"why":"test"})');
  });

  it("ferry call times out after --timeout-ms with TIMEOUT", async () => {
    const line = expectOneLineFailure(await runFerry(["call", "--url", url(), "--timeout-ms", "300", "CliProbe.slow"]), "call");
    expect(line).to.match(/^ferry call: TIMEOUT: /);
  });

  it("ferry call of a method the service lacks prints UNIMPLEMENTED", async () => {
    const line = expectOneLineFailure(await runFerry(["call", "--url", url(), "Calculator.divide", "{}"]), "call");
    expect(line).to.match(/^ferry call: UNIMPLEMENTED: Calculator has no method divide/);
  });

  it("ferry services stops listing an instance once its process has stopped", async () => {
    await remote!.stop();
    const calculator = (await services(url())).find((service) => service.name === "Calculator")!;
    expect(calculator.instances.map((instance) => instance.pid)).to.deep.equal([process.pid]);
  });
}

describe("ferry services, ping and call on the TCP broker", () => {
  let broker: RunningBroker;
  before(async () => (broker = await startBroker({ port: 0, log: () => undefined })));
  after(async () => broker?.close());
  cliAgainst(() => broker.url);

  it("ferry call --key publishes to the key's partition", async () => {
    const ferry = await connect({ url: broker.url });
    try {
      const partition = hashKey("order-7") % 8;
      const published = async () => (await ferry.transport.stats()).topics.find((topic) => topic.name === serviceTopic("CliProbe"))!.partitions[partition]!.published;
      const before = await published();
      const run = await runFerry(["call", "--url", broker.url, "--key", "order-7", "CliProbe.headers", "{}"]);
      expect(run.status, run.stderr).to.equal(0);
      expect(await published()).to.equal(before + 1);
    } finally {
      await ferry.close();
    }
  });
});

describe("ferry services, ping and call on NATS", () => {
  const natsUrl = useNatsServer();
  cliAgainst(natsUrl);
});

describe("ferry services, ping and call: bad input, no broker", () => {
  for (const [what, args, message] of [
    ["bad JSON", ["Calculator.add", "{a:1}"], "the request is not valid JSON"],
    ["a name without a method", ["Calculator", "{}"], '"Calculator" is not Service.method'],
    ["a name that is not an identifier", ["Calc-ulator.add", "{}"], "is not Service.method"],
    ["a header without =", ["--header", "tenant", "Calculator.add", "{}"], "--header must be name=value"],
    ["a timeout that is not a number", ["--timeout-ms", "soon", "Calculator.add", "{}"], "--timeout-ms must be a positive whole number"],
  ] as const) {
    it(`refuses ${what} with exit 2, before connecting`, async () => {
      // No broker listens on this port: a usage error is found before any connection is tried.
      const run = await runFerry(["call", "--url", "ferry://127.0.0.1:1", ...args]);
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stderr).to.include(message).and.to.include("usage: ferry call");
    });
  }

  it("says in one line when nothing listens at --url", async () => {
    const port = await freePort();
    for (const command of ["services", "ping", "call"]) {
      const args = command === "ping" ? ["Calculator"] : command === "call" ? ["Calculator.add", "{}"] : [];
      const line = expectOneLineFailure(await runFerry([command, "--url", `ferry://127.0.0.1:${port}`, ...args]), command);
      expect(line).to.include(`127.0.0.1:${port}`);
    }
  });

  it("refuses a --wait-ms that is not a positive whole number", async () => {
    const run = await runFerry(["services", "--url", "ferry://127.0.0.1:1", "--wait-ms", "0"]);
    expect(run.status).to.equal(2);
    expect(run.stderr).to.include("--wait-ms must be a positive whole number");
  });

  it("shows the runtime's defaults in help", () => {
    expect(commands.call!.spec.flags["timeout-ms"]!.defaultText).to.equal(String(defaultCallTimeoutMs));
    expect(commands.services!.spec.flags["wait-ms"]!.defaultText).to.equal(String(defaultDiscoveryWaitMs));
    expect(commands.ping!.spec.flags["wait-ms"]!.defaultText).to.equal(String(defaultDiscoveryWaitMs));
  });
});
