import { expect } from "chai";
import { pack } from "msgpackr";
import { encodeValue } from "../../packages/ferry/src/core/wire/codec.js";
import { SystemId } from "../../bench/catalog.js";
import { runLoad } from "../../bench/load.js";
import { addRequest, noteFor } from "../../bench/payload.js";
import { sidesOf } from "../../bench/systems/index.js";

describe("bench payload", () => {
  it("pads requests to exactly 100 B and 16 KiB in msgpackr, as the peers send them", () => {
    for (const bytes of [100, 16384]) expect(pack(addRequest(12345, noteFor(bytes))).length).to.equal(bytes);
  });

  it("is the same object in Ferry's codec, 2 bytes shorter (a fixmap header instead of map16)", () => {
    for (const bytes of [100, 16384]) expect(encodeValue(addRequest(12345, noteFor(bytes))).length).to.equal(bytes - 2);
  });
});

describe("bench load on Ferry in-process", () => {
  it("measures real calls: positive count, latencies and no errors", async () => {
    const client = await (await sidesOf(SystemId.FerryInProcess)).connect({ system: SystemId.FerryInProcess, runId: "test" });
    try {
      const result = await runLoad(client.call, { inFlight: 4, note: noteFor(100), durationMs: 200 });
      expect(result.errors).to.equal(0);
      expect(result.calls).to.be.greaterThan(0);
      expect(result.latencyUs.count).to.equal(result.calls);
      expect(result.latencyUs.p50).to.be.greaterThan(0);
      expect(result.latencyUs.p99).to.be.at.least(result.latencyUs.p50);
      expect(result.latencyUs.max).to.be.at.least(result.latencyUs.p999);
      expect(result.seconds).to.be.greaterThan(0);
    } finally {
      await client.close();
    }
  });

  it("counts a wrong reply as an error", async () => {
    const result = await runLoad(async () => -1, { inFlight: 2, note: "x", durationMs: 20 });
    expect(result.calls).to.equal(0);
    expect(result.errors).to.be.greaterThan(0);
    expect(result.firstError).to.match(/wrong reply/);
  });
});
