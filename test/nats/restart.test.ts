import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineService, method } from "../../packages/ferry/src/core/definition.js";
import { FerryError } from "../../packages/ferry/src/core/errors.js";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { NatsMode } from "../../packages/ferry/src/transports/nats/nats-options.js";
import { NatsTransport } from "../../packages/ferry/src/transports/nats/nats-transport.js";
import { freePort } from "../support/free-port.js";
import { NatsServer, natsServerAvailable } from "../support/nats-server.js";

const Tally = defineService("Tally", {
  bump: method<{ id: number }, { id: number }>({ idempotent: true }),
});

for (const mode of [NatsMode.Core, NatsMode.Durable]) {
  describe(`NATS ${mode} mode: the one nats-server killed under load and started again`, function () {
    this.timeout(90_000);
    let server: NatsServer | undefined;
    let storeDir = "";
    const opened: Ferry[] = [];

    before(function () {
      if (!natsServerAvailable()) this.skip();
    });

    after(async () => {
      for (const ferry of opened.reverse()) await ferry.close().catch(() => undefined);
      await server?.stop();
      if (storeDir !== "") rmSync(storeDir, { recursive: true, force: true });
    });

    it("finishes every call it was given, and runs none twice", async () => {
      const port = await freePort();
      storeDir = mkdtempSync(join(tmpdir(), "ferry-nats-restart-"));
      server = await NatsServer.start({ port, storeDir });
      const connectFerry = async (): Promise<Ferry> => {
        const ferry = new Ferry(await NatsTransport.connect({ url: server!.url, mode, prefix: `restart${mode}`, reconnectTimeWait: 50 }));
        opened.push(ferry);
        await ferry.start();
        return ferry;
      };
      const executions = new Map<number, number>();
      const service = await connectFerry();
      await service.serve(Tally, { bump: ({ id }: { id: number }) => (executions.set(id, (executions.get(id) ?? 0) + 1), { id }) });
      const client = await connectFerry();

      const total = 300;
      const confirmed = new Set<number>();
      const failed = new Map<number, string>();
      let sent = 0;
      const worker = async (): Promise<void> => {
        while (sent < total) {
          const id = sent++;
          if (id === total / 3) {
            // kill -9 while the other workers' calls are in flight; the same port and store come back.
            await server!.kill();
            await new Promise((resolve) => setTimeout(resolve, 300));
            server = await NatsServer.start({ port, storeDir });
          }
          try {
            const reply = await client.call(Tally.methods.bump, { id }, { timeoutMs: 1_000, retries: 10, backoff: { initialMs: 50, maxMs: 500 } });
            if (reply.id === id) confirmed.add(id);
          } catch (error) {
            failed.set(id, error instanceof FerryError ? error.code : `untyped: ${String(error)}`);
          }
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));

      const duplicates = [...executions.values()].reduce((sum, count) => sum + count - 1, 0);
      expect(Object.fromEntries(failed)).to.deep.equal({});
      expect(confirmed.size).to.equal(total);
      expect([...confirmed].filter((id) => !executions.has(id))).to.deep.equal([]);
      expect(duplicates).to.equal(0);
    });
  });
}
