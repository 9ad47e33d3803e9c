import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "../../packages/ferry/src/connect.js";
import { defineService, method } from "../../packages/ferry/src/core/definition.js";
import { cliPath } from "../codegen/support.js";
import { until } from "../support/wait.js";

const Ledger = defineService("ScrapedLedger", {
  post: method<{ n: number }, number>({ durable: true }),
});

/** One sample of a Prometheus text exposition: `name{labels} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format: comments skipped, each sample's name, labels and value. */
function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Starts `ferry broker` with the given arguments and waits for the lines naming its two addresses. */
async function startCliBroker(args: string[]): Promise<{ child: ChildProcess; url: string; metrics: string }> {
  const child = spawn(process.execPath, [cliPath, "broker", ...args], { stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const url = /listening on (ferry:\/\/\S+)/.exec(out)?.[1];
      const metrics = /metrics on (http:\/\/\S+)\/metrics/.exec(out)?.[1];
      if (url !== undefined && metrics !== undefined) resolve({ child, url, metrics });
    });
    child.once("exit", (code) => reject(new Error(`ferry broker exited with ${code}: ${out}`)));
  });
}

describe("ferry broker --metrics-port", function () {
  let broker: { child: ChildProcess; url: string; metrics: string };
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "ferry-metrics-"));
    broker = await startCliBroker(["--port", "0", "--metrics-port", "0", "--data", dataDir]);
  });

  after(async () => {
    const exited = new Promise((resolve) => broker.child.once("exit", resolve));
    broker.child.kill("SIGTERM");
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers /healthz and /readyz on the metrics port", async () => {
    const health = await fetch(`${broker.metrics}/healthz`);
    expect(health.status).to.equal(200);
    expect(await health.text()).to.equal("ok\n");
    const ready = await fetch(`${broker.metrics}/readyz`);
    expect(ready.status).to.equal(200);
    expect((await fetch(`${broker.metrics}/nothing`)).status).to.equal(404);
  });

  it("serves the broker's gauges and fsync histograms in Prometheus text format", async () => {
    const ferry = await connect({ url: broker.url });
    try {
      await ferry.serve(Ledger, { post: ({ n }) => n });
      for (let n = 0; n < 6; n++) expect(await ferry.call(Ledger.methods.post, { n })).to.equal(n);
      const scrape = async (): Promise<Sample[]> => {
        const response = await fetch(`${broker.metrics}/metrics`);
        expect(response.status).to.equal(200);
        expect(response.headers.get("content-type")).to.contain("text/plain");
        return parsePrometheus(await response.text());
      };
      const sumOf = (samples: Sample[], name: string) => samples.filter((sample) => sample.name === name).reduce((sum, sample) => sum + sample.value, 0);
      // A delivery does not wait for its record's fsync (the publish confirm does), so the last
      // batches may reach the disk just after the replies: scrape until all six have.
      let samples: Sample[] = [];
      await until(
        async () => {
          samples = await scrape();
          return sumOf(samples, "ferry_broker_fsync_batch_size_sum") >= 6 && sumOf(samples, "ferry_broker_group_lag") === 0;
        },
        "six records synced and nothing unacknowledged",
        0,
      );
      const of = (name: string, labels: Record<string, string> = {}) =>
        samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
      const topic = { messaging_destination_name: "svc.ScrapedLedger" };
      const published = of("ferry_broker_partition_published_total", topic);
      expect(published.length).to.be.greaterThan(0);
      expect(published.reduce((sum, sample) => sum + sample.value, 0)).to.equal(6);
      const group = { ...topic, messaging_consumer_group_name: "ScrapedLedger" };
      expect(of("ferry_broker_group_lag", group).every((sample) => sample.value === 0)).to.equal(true);
      expect(of("ferry_broker_group_in_flight", group).every((sample) => sample.value === 0)).to.equal(true);
      expect(of("ferry_broker_partition_depth", topic).every((sample) => sample.value === 0)).to.equal(true);
      expect(of("ferry_broker_group_consumers", group).map((sample) => sample.value)).to.deep.equal([1]);
      expect(of("ferry_broker_connections").map((sample) => sample.value)).to.deep.equal([1]);
      // Every durable publish went to disk in some fsync batch.
      expect(of("ferry_broker_fsync_batch_size_count")[0]!.value).to.be.greaterThan(0);
      expect(of("ferry_broker_fsync_batch_size_sum")[0]!.value).to.be.at.least(6);
      expect(of("ferry_broker_fsync_duration_count")[0]!.value).to.equal(of("ferry_broker_fsync_batch_size_count")[0]!.value);
      expect(of("ferry_broker_fsync_duration_bucket", { le: "+Inf" })[0]!.value).to.equal(of("ferry_broker_fsync_duration_count")[0]!.value);
    } finally {
      await ferry.close();
    }
  });

  it("refuses a metrics port that is not a number", async () => {
    const child = spawn(process.execPath, [cliPath, "broker", "--port", "0", "--metrics-port", "nine"], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise((resolve) => child.once("exit", resolve));
    expect(code).to.equal(2);
    expect(err).to.contain("--metrics-port must be a whole number");
  });
});
