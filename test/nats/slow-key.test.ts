import { expect } from "chai";
import { defineService, method } from "../../packages/ferry/src/core/definition.js";
import { UnavailableError } from "../../packages/ferry/src/core/errors.js";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { NatsTransport } from "../../packages/ferry/src/transports/nats/nats-transport.js";
import { partitionOf } from "../../packages/ferry/src/transports/nats/subjects.js";
import { useNatsServer } from "../support/nats-server.js";
import { gate, until } from "../support/wait.js";

const Ledger = defineService("Ledger", {
  append: method<{ account: string; seq: number }, { ok: true }>({ keyPath: "account", durable: true }),
});

type Append = { account: string; seq: number };

/** `count` keys other than `key` that land on its partition (of the default 8). */
function keysBeside(key: string, count: number): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++) if (partitionOf(`acct-${i}`, 8) === partitionOf(key, 8)) keys.push(`acct-${i}`);
  return keys;
}

describe("NATS durable mode: a slow or failing key holds back only its own later calls", function () {
  this.timeout(60_000);
  const natsUrl = useNatsServer();
  let tests = 0;
  let prefix = "";
  const opened: Ferry[] = [];
  beforeEach(() => {
    prefix = `slowkey${++tests}`;
  });
  afterEach(async () => {
    for (const ferry of opened.reverse()) await ferry.close();
    opened.length = 0;
  });

  async function runtime(): Promise<Ferry> {
    const ferry = new Ferry(await NatsTransport.connect({ url: natsUrl(), prefix }));
    await ferry.start();
    opened.push(ferry);
    return ferry;
  }

  /** Two server instances of Ledger running `append`, and a client. */
  async function twoInstances(append: (request: Append, instance: string) => Promise<{ ok: true }>, redeliveryDelayMs = 100): Promise<Ferry> {
    for (const instance of ["one", "two"]) {
      const server = await runtime();
      await server.serve(Ledger, { append: (request: Append) => append(request, instance) }, { concurrency: 16, redeliveryDelayMs });
    }
    return runtime();
  }

  it("finishes the calls of other keys of its partition while one key's handler is held", async () => {
    const held = gate();
    const started: string[] = [];
    const client = await twoInstances(async ({ account, seq }) => {
      started.push(`${account}:${seq}`);
      if (account === "slow") await held.promise;
      return { ok: true };
    });
    const slow = [0, 1, 2].map((seq) => client.call(Ledger.methods.append, { account: "slow", seq }, { timeoutMs: 30_000 }));
    const others = keysBeside("slow", 20);
    let slowBeforeRelease: string[] = [];
    try {
      await until(() => started.includes("slow:0"), "the slow key's first call");
      // Held back behind "slow" these would end in TIMEOUT: their partition would let nothing else out.
      await Promise.all(others.map((account) => client.call(Ledger.methods.append, { account, seq: 0 }, { timeoutMs: 10_000 })));
    } finally {
      // Read before the slow call is let go (and let go even when the calls above fail).
      slowBeforeRelease = started.filter((run) => run.startsWith("slow"));
      held.open();
    }
    expect(started.filter((run) => run.startsWith("acct-")).sort()).to.deep.equal(others.map((account) => `${account}:0`).sort());
    // The slow key's own later calls waited behind its first.
    expect(slowBeforeRelease).to.deep.equal(["slow:0"]);
    await Promise.all(slow);
    expect(started.filter((run) => run.startsWith("slow"))).to.deep.equal(["slow:0", "slow:1", "slow:2"]);
  });

  it("runs a key's later calls only after its failed call succeeded on redelivery, whichever instance takes them", async () => {
    const runs: { run: string; instance: string }[] = [];
    let failures = 0;
    const client = await twoInstances(async ({ account, seq }, instance) => {
      runs.push({ run: `${account}:${seq}`, instance });
      if (account === "k" && seq === 0 && failures++ < 2) throw new UnavailableError("not yet");
      return { ok: true };
    }, 200);
    const calls = [0, 1, 2, 3].map((seq) => client.call(Ledger.methods.append, { account: "k", seq }, { timeoutMs: 30_000 }));
    // Other keys keep both instances pulling while "k:0" waits for its redeliveries.
    const others = keysBeside("k", 10).map((account) => client.call(Ledger.methods.append, { account, seq: 0 }, { timeoutMs: 30_000 }));
    await Promise.all([...calls, ...others]);
    expect(runs.filter(({ run }) => run.startsWith("k:")).map(({ run }) => run)).to.deep.equal(["k:0", "k:0", "k:0", "k:1", "k:2", "k:3"]);
  });
});
