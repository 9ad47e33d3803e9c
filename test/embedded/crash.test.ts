import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeEnvelope } from "../../packages/ferry/src/core/wire/envelope.js";
import type { CallContext } from "../../packages/ferry/src/core/context.js";
import { defineService, method } from "../../packages/ferry/src/core/definition.js";
import { FerryError } from "../../packages/ferry/src/core/errors.js";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { TcpTransport } from "../../packages/ferry/src/transports/tcp/tcp-transport.js";
import { startBrokerProcess, type BrokerProcess } from "../support/broker-process.js";
import { confirming } from "../support/confirming-transport.js";
import { freePort } from "../support/free-port.js";
import { until } from "../support/wait.js";

const Ledger = defineService("CrashLedger", {
  /** Durable and idempotent: survives the broker, and runs once per call however often it is retried. */
  post: method<{ n: number }, { n: number }>({ durable: true, idempotent: true, timeoutMs: 1_000, retries: 60 }),
});

describe("crash: kill -9 of a durable broker under load", function () {
  this.timeout(180_000);
  let dataDir: string;
  let broker: BrokerProcess | undefined;
  const runtimes: Ferry[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "ferry-crash-"));
  });
  afterEach(async () => {
    for (const runtime of runtimes.splice(0)) await runtime.close();
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("loses no confirmed request and runs no handler twice for one idempotency key", async () => {
    const port = await freePort();
    const brokerOptions = { port, dataDir, fsync: "always" };
    broker = await startBrokerProcess(brokerOptions);
    const url = `ferry://127.0.0.1:${port}`;
    const connectOptions = { url, reconnectInitialMs: 20, reconnectMaxMs: 200 };

    const runs = new Map<string, number>();
    const server = new Ferry(await TcpTransport.connect(connectOptions));
    await server.start();
    runtimes.push(server);
    await server.serve(Ledger, {
      post: ({ n }: { n: number }, context: CallContext) => {
        runs.set(context.idempotencyKey, (runs.get(context.idempotencyKey) ?? 0) + 1);
        return { n };
      },
    });

    const confirmed = new Set<string>();
    const client = new Ferry(confirming(await TcpTransport.connect(connectOptions), (bytes) => {
      const key = decodeEnvelope(bytes).idempotencyKey;
      if (key !== undefined) confirmed.add(key);
    }), { backoff: { initialMs: 20, maxMs: 250 } });
    await client.start();
    runtimes.push(client);

    const total = 600;
    let sent = 0;
    let completed = 0;
    let wrong = 0;
    const failures = new Map<string, number>();
    const worker = async () => {
      while (sent < total) {
        const n = sent++;
        try {
          const reply = await client.call(Ledger.methods.post, { n }, { idempotencyKey: `call-${n}` });
          if (reply.n === n) completed++;
          else wrong++;
        } catch (error) {
          const code = error instanceof FerryError ? error.code : "UNTYPED";
          failures.set(code, (failures.get(code) ?? 0) + 1);
        }
      }
    };
    const load = Promise.all(Array.from({ length: 16 }, worker));

    for (let kill = 1; kill <= 3; kill++) {
      const target = (kill * total) / 4;
      await until(() => runs.size >= target, `${target} handled before kill ${kill}`, 5_000_000);
      broker.child.kill("SIGKILL");
      await new Promise((resolve) => broker!.child.once("exit", resolve));
      broker = await startBrokerProcess(brokerOptions);
    }
    await load;
    // Confirmed requests whose caller gave up are still in the durable topic: they must run too.
    await until(() => [...confirmed].every((key) => runs.has(key)), "every confirmed request handled", 5_000_000);

    const lost = [...confirmed].filter((key) => !runs.has(key)).length;
    const duplicates = [...runs.values()].filter((count) => count > 1).length;
    const failed = [...failures.values()].reduce((sum, count) => sum + count, 0);
    console.log(
      `      crash test: sent ${sent}, confirmed ${confirmed.size}, handled ${runs.size}, completed ${completed}, ` +
        `failed with a typed error ${failed} ${JSON.stringify(Object.fromEntries(failures))}, lost ${lost}, duplicates executed ${duplicates}`,
    );
    expect(lost).to.equal(0);
    expect(duplicates).to.equal(0);
    expect(wrong).to.equal(0);
    expect(failures.has("UNTYPED")).to.equal(false);
    expect(completed + failed).to.equal(total);
  });
});
