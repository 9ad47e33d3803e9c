import { expect } from "chai";
import { systemClock } from "../../packages/ferry/src/core/clock.js";
import type { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { Calculator, calculatorImpl, Ledger } from "../support/services.js";
import { rejection } from "../support/wait.js";
import { useHarness, type ConformanceTarget } from "./harness.js";

/**
 * Collect answers this long. The listing's requester runs on real time (a broker in another
 * process answers on real time): long enough for answers on a shared machine, and every listing
 * takes exactly this long, so it asserts nothing about speed.
 */
const waitMs = 1_000;

/**
 * The live service registry on the transport contract alone: every serving runtime answers
 * discovery requests (`ferry.services()`, `ferry.ping()`), whatever the transport.
 */
export function describeDiscovery(target: ConformanceTarget): void {
  describe("discovery (ferry.services, ferry.ping)", () => {
    const harness = useHarness(target);

    function requester(): Promise<Ferry> {
      return harness().runtime({ clock: systemClock });
    }

    it("lists every runtime serving a service, with the runs and errors of each method", async () => {
      const first = await harness().runtime();
      await first.serve(Calculator, calculatorImpl);
      await first.serve(Ledger, { append: () => ({ ok: true as const }) });
      const second = await harness().runtime();
      await second.serve(Calculator, calculatorImpl);
      const client = await requester();
      await client.call(Calculator.methods.add, { a: 1, b: 2 });
      await client.call(Calculator.methods.add, { a: 3, b: 4 });
      await rejection(client.call(Calculator.methods.fail, { code: "OUT_OF_STOCK" }));
      const services = await client.services({ waitMs });
      expect(services.map((service) => service.name)).to.deep.equal(["Calculator", "Ledger"]);
      const instances = services[0]!.instances;
      expect(instances).to.have.length(2);
      const total = (name: string, field: "handled" | "errors") =>
        instances.reduce((sum, instance) => sum + instance.methods.find((method) => method.name === name)![field], 0);
      expect(total("add", "handled")).to.equal(2);
      expect(total("add", "errors")).to.equal(0);
      expect(total("fail", "errors")).to.equal(1);
      const failed = instances.flatMap((instance) => instance.methods).find((method) => method.name === "fail" && method.errors === 1)!;
      expect(failed.lastError).to.deep.include({ code: "OUT_OF_STOCK", message: "failed with OUT_OF_STOCK" });
      expect(services[1]!.instances).to.have.length(1);
    });

    it("pings each instance of a service, and no instance of a service nobody serves", async () => {
      for (let i = 0; i < 2; i++) await (await harness().runtime()).serve(Calculator, calculatorImpl);
      const client = await requester();
      const replies = await client.ping("Calculator", { waitMs });
      expect(replies).to.have.length(2);
      expect(new Set(replies.map((reply) => reply.instanceId)).size).to.equal(2);
      expect(await client.ping("Ledger", { waitMs })).to.deep.equal([]);
    });

    it("stops listing a runtime once it is closed", async () => {
      const staying = await harness().runtime();
      await staying.serve(Calculator, calculatorImpl);
      const leaving = await harness().runtime();
      await leaving.serve(Calculator, calculatorImpl);
      await leaving.close();
      const services = await (await requester()).services({ waitMs });
      expect(services[0]!.instances).to.have.length(1);
    });

    it("lists nothing when no runtime serves", async () => {
      expect(await (await requester()).services({ waitMs })).to.deep.equal([]);
    });
  });
}
