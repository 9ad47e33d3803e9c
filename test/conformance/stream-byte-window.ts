import { expect } from "chai";
import { defaultStreamWindow, initialStreamCredit } from "../../packages/ferry/src/core/defaults.js";
import { InvalidArgumentError } from "../../packages/ferry/src/core/errors.js";
import { Counter, counterImpl, counterProbe, type CounterProbe } from "../support/stream-services.js";
import { turn, until } from "../support/wait.js";
import { useHarness, type ConformanceTarget } from "./harness.js";

/**
 * A caller grants as many items as `windowBytes` holds at the average size it has received (at
 * least 1, at most `window`): large items are bounded by bytes, small ones get the whole window.
 */
export function describeStreamByteWindow(target: ConformanceTarget): void {
  describe("stream byte window", () => {
    const harness = useHarness(target);
    let probe: CounterProbe;

    async function served() {
      probe = counterProbe();
      const server = await harness().runtime();
      await server.serve(Counter, counterImpl(probe));
    }

    it("lets items of about 1 KiB run only as far ahead of a slow consumer as windowBytes holds", async () => {
      await served();
      const client = await harness().runtime();
      // `{ n, pad }` with a 1,000-byte pad is about 1,010 bytes: 8 KiB holds 8 of them.
      const iterator = client.stream(Counter.methods.count, { count: 60, size: 1_000 }, { windowBytes: 8 * 1024 })[Symbol.asyncIterator]();
      let mostAhead = 0;
      for (let taken = 1; taken <= 60; taken++) {
        const step = await iterator.next();
        expect((step.value as { n: number }).n).to.equal(taken - 1);
        for (let i = 0; i < 20; i++) await turn();
        const ahead = probe.pulled - taken;
        // Before any size is known, the request grants initialStreamCredit items.
        expect(ahead, `ahead after ${taken} taken`).to.be.at.most(taken <= initialStreamCredit ? initialStreamCredit : 8);
        if (taken > initialStreamCredit) mostAhead = Math.max(mostAhead, ahead);
      }
      expect(mostAhead).to.be.within(4, 8);
      expect((await iterator.next()).done).to.equal(true);
    });

    it("gives small items the whole window", async () => {
      await served();
      const client = await harness().runtime();
      const iterator = client.stream(Counter.methods.count, { count: 5_000 })[Symbol.asyncIterator]();
      expect((await iterator.next()).value).to.deep.equal({ n: 0 });
      await until(() => probe.pulled === 1 + defaultStreamWindow, "the window to fill");
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(probe.pulled).to.equal(1 + defaultStreamWindow);
      await iterator.return!();
      await until(() => probe.finallyRan === 1, "the generator's finally");
    });

    it("refuses a windowBytes of 0, fractional or beyond maxStreamWindowBytes, naming it", async () => {
      const client = await harness().runtime();
      for (const windowBytes of [0, 1.5, 2 ** 40]) {
        expect(() => client.stream(Counter.methods.count, {}, { windowBytes }), String(windowBytes)).to.throw(InvalidArgumentError, "windowBytes must be a whole number of bytes");
      }
    });
  });
}
