import { expect } from "chai";
import { IdempotencyMismatchError } from "../../packages/ferry/src/core/errors.js";
import { lossy } from "../support/lossy-transport.js";
import { Calculator } from "../support/services.js";
import { gate, rejection, until } from "../support/wait.js";
import { useHarness, type ConformanceTarget } from "./harness.js";

export function describeIdempotency(target: ConformanceTarget): void {
  describe("idempotency", () => {
    const harness = useHarness(target);

    /** Serves Calculator with a `charge` that counts its runs and can be held. */
    async function serveCharge(hold?: Promise<void>) {
      const server = await harness().runtime();
      const state = { runs: 0 };
      await server.serve(Calculator, {
        add: ({ a, b }) => ({ sum: a + b }),
        echo: (value) => value,
        slow: () => "",
        fail: () => {
          throw new Error("unused");
        },
        note: () => undefined,
        charge: async () => {
          const receipt = ++state.runs;
          await hold;
          return { receipt };
        },
      });
      return { server, state };
    }

    it("replays the reply to a retry whose first reply was lost: the handler runs once", async () => {
      const server = await harness().runtime(undefined, (transport) => lossy(transport, { replies: 1 }));
      let runs = 0;
      await server.serve(Calculator, {
        add: () => ({ sum: 0 }),
        echo: (value) => value,
        slow: () => "",
        fail: () => {
          throw new Error("unused");
        },
        note: () => undefined,
        charge: () => ({ receipt: ++runs }),
      });
      const client = await harness().runtime({ backoff: { initialMs: 20, jitter: 0 } });
      const call = client.call(Calculator.methods.charge, { account: "a", cents: 5 }, { timeoutMs: 5_000, retries: 3 });
      await until(() => runs === 1, "first run");
      await harness().clock.tick(5_000 + 20);
      expect(await call).to.deep.equal({ receipt: 1 });
      expect(runs).to.equal(1);
      expect((await server.stats()).servers["Calculator#Calculator"]).to.include({ handled: 1, replayed: 1 });
    });

    it("runs concurrent duplicates once and gives each the same reply", async () => {
      const hold = gate();
      const { server, state } = await serveCharge(hold.promise);
      const client = await harness().runtime();
      const request = { account: "acct-1", cents: 100 };
      const calls = [1, 2, 3].map(() => client.call(Calculator.methods.charge, request, { idempotencyKey: "order-7" }));
      await until(async () => (await server.stats()).servers["Calculator#Calculator"]!.running === 1, "the first run");
      hold.open();
      expect(await Promise.all(calls)).to.deep.equal([{ receipt: 1 }, { receipt: 1 }, { receipt: 1 }]);
      expect(state.runs).to.equal(1);
      expect((await server.stats()).servers["Calculator#Calculator"]).to.include({ handled: 1, joined: 2 });
    });

    it("replays a finished call to a later request with the same key", async () => {
      const { state } = await serveCharge();
      const client = await harness().runtime();
      const request = { account: "acct-1", cents: 100 };
      const first = await client.call(Calculator.methods.charge, request, { idempotencyKey: "k" });
      const second = await client.call(Calculator.methods.charge, request, { idempotencyKey: "k" });
      expect(second).to.deep.equal(first);
      expect(state.runs).to.equal(1);
    });

    it("refuses the same key with a different request: IDEMPOTENCY_MISMATCH", async () => {
      const { state } = await serveCharge();
      const client = await harness().runtime();
      await client.call(Calculator.methods.charge, { account: "a", cents: 1 }, { idempotencyKey: "same" });
      const error = await rejection(client.call(Calculator.methods.charge, { account: "a", cents: 2 }, { idempotencyKey: "same" }));
      expect(error).to.be.instanceOf(IdempotencyMismatchError);
      expect(error.code).to.equal("IDEMPOTENCY_MISMATCH");
      expect(state.runs).to.equal(1);
    });

    it("runs calls without a shared key independently", async () => {
      const { state } = await serveCharge();
      const client = await harness().runtime();
      const request = { account: "a", cents: 1 };
      await client.call(Calculator.methods.charge, request);
      await client.call(Calculator.methods.charge, request);
      expect(state.runs).to.equal(2);
    });
  });
}
