import { expect } from "chai";
import { setTimeout as delay } from "node:timers/promises";
import { defineService, method } from "../../packages/ferry/src/core/definition.js";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { NatsTransport } from "../../packages/ferry/src/transports/nats/nats-transport.js";
import { useNatsServer } from "../support/nats-server.js";

const Ledger = defineService("Ledger", {
  append: method<{ account: string; seq: number }, { ok: true }>({ keyPath: "account", durable: true }),
});

describe("NATS durable mode: order by key across two server instances", function () {
  this.timeout(60_000);
  const natsUrl = useNatsServer();
  const opened: Ferry[] = [];
  afterEach(async () => {
    for (const ferry of opened.reverse()) await ferry.close();
    opened.length = 0;
  });

  async function runtime(): Promise<Ferry> {
    const ferry = new Ferry(await NatsTransport.connect({ url: natsUrl(), prefix: "keyorder" }));
    await ferry.start();
    opened.push(ferry);
    return ferry;
  }

  it("runs each key's calls one at a time and in order, whichever instance takes them", async () => {
    const runs: { account: string; seq: number; instance: string }[] = [];
    const running = new Set<string>();
    const overlaps: string[] = [];
    for (const instance of ["one", "two"]) {
      const server = await runtime();
      const append = async ({ account, seq }: { account: string; seq: number }): Promise<{ ok: true }> => {
        if (running.has(account)) overlaps.push(`${account}:${seq}`);
        running.add(account);
        runs.push({ account, seq, instance });
        await delay((5 - seq) * 4); // earlier calls run longer: a later one let out early would overtake them
        running.delete(account);
        return { ok: true };
      };
      await server.serve(Ledger, { append }, { concurrency: 16 });
    }
    const client = await runtime();
    const accounts = Array.from({ length: 20 }, (_, i) => `acct-${i}`);
    const calls: Promise<unknown>[] = [];
    // Every call is sent at once: five per account, interleaved with the other accounts.
    for (let seq = 0; seq < 5; seq++) for (const account of accounts) calls.push(client.call(Ledger.methods.append, { account, seq }, { timeoutMs: 30_000 }));
    await Promise.all(calls);

    expect(overlaps).to.deep.equal([]);
    for (const account of accounts) expect(runs.filter((run) => run.account === account).map((run) => run.seq), account).to.deep.equal([0, 1, 2, 3, 4]);
    // Both instances took part: the order held across them, not inside one.
    expect(new Set(runs.map((run) => run.instance))).to.deep.equal(new Set(["one", "two"]));
  });
});
