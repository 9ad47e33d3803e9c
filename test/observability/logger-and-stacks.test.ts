import { expect } from "chai";
import { connect } from "../../packages/ferry/src/connect.js";
import { defineService, method } from "../../packages/ferry/src/core/definition.js";
import { FerryError, InvalidArgumentError, TimeoutError } from "../../packages/ferry/src/core/errors.js";
import type { Logger } from "../../packages/ferry/src/core/logger.js";
import { Broker } from "../../packages/ferry/src/broker/broker.js";
import { startBroker } from "../../packages/ferry/src/broker/server/broker-server.js";
import { rejection, until } from "../support/wait.js";

const Vault = defineService("LoggedVault", {
  open: method<{ secret: string; n: number }, number>({ validateRequest: (value) => ((value as { n: unknown }).n === 0 ? [{ path: "n", message: "must not be 0" }] : []) }),
  jam: method<{ secret: string }, never>(),
  hang: method<Record<string, never>, never>(),
});

/** A logger that keeps every line, as pino would write it. */
function recordingLogger(): Logger & { lines: { level: string; facts: Record<string, unknown>; message: string }[] } {
  const lines: { level: string; facts: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (facts: Record<string, unknown>, message: string) => lines.push({ level, facts, message });
  return { lines, error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") };
}

describe("the runtime's logger", function () {
  it("logs refused input, redeliveries and dead letters, without the payload", async () => {
    const broker = new Broker();
    const logger = recordingLogger();
    const ferry = await connect({ broker, logger });
    try {
      await ferry.serve(
        Vault,
        {
          open: ({ n }) => n,
          jam: () => {
            throw new FerryError("JAMMED", "the lock is jammed", { retryable: true });
          },
          hang: () => new Promise<never>(() => {}),
        },
        { redeliveryDelayMs: 1, topic: { maxDeliveries: 2 } },
      );
      await rejection(ferry.call(Vault.methods.open, { secret: "hunter2", n: 0 }));
      await rejection(ferry.call(Vault.methods.jam, { secret: "hunter2" }));
      const levels = logger.lines.map(({ level, message, facts }) => `${level} ${message} ${String(facts["code"])}`);
      expect(levels).to.include.members([
        "warn request refused before its handler INVALID_ARGUMENT",
        "warn handler failed retryably: message redelivered JAMMED",
        "error handler failed on its last delivery: message dead-lettered JAMMED",
      ]);
      const dead = logger.lines.find((line) => line.level === "error")!;
      expect(dead.facts).to.deep.include({ service: "LoggedVault", method: "jam", deliveryCount: 2 });
      expect(JSON.stringify(logger.lines)).not.to.contain("hunter2");
    } finally {
      await ferry.close();
      broker.close();
    }
  });

  it("logs the connection's state changes", async () => {
    const running = await startBroker({ port: 0, log: () => {} });
    const logger = recordingLogger();
    const ferry = await connect({ url: running.url, logger });
    await ferry.close();
    await running.close();
    await until(() => logger.lines.some((line) => line.facts["state"] === "closed"), "the closed state logged");
    expect(logger.lines.filter((line) => line.facts["state"] !== undefined).map((line) => `${line.level} ${String(line.facts["state"])}`)).to.include.members(["info connected", "info closed"]);
  });

  it("sends the broker's lines to a logger given to startBroker", async () => {
    const logger = recordingLogger();
    const running = await startBroker({ port: 0, logger });
    await running.close();
    expect(logger.lines[0]).to.deep.include({ level: "info", facts: { component: "ferry-broker" } });
    expect(logger.lines[0]!.message).to.match(/^listening on 127\.0\.0\.1:\d+/);
  });

  it("refuses a logger without the four methods, naming what is missing", async () => {
    const error = await rejection(connect({ broker: new Broker(), logger: { info() {}, error() {} } as never }));
    expect(error).to.be.instanceOf(InvalidArgumentError);
    expect(error.message).to.contain("lacks warn, debug");
  });
});

describe("caller stacks", function () {
  let broker: Broker;
  beforeEach(() => (broker = new Broker()));
  afterEach(() => broker.close());

  /** Makes the call from a function of its own, whose name the failure's stack must show. */
  async function makeTheVaultCall(callerStacks: boolean | undefined): Promise<Error> {
    const ferry = await connect({ broker, ...(callerStacks === undefined ? {} : { callerStacks }) });
    await ferry.serve(Vault, { open: () => 0, jam: () => 0 as never, hang: () => new Promise<never>(() => {}) }, { drainTimeoutMs: 10 });
    try {
      return await rejection(ferry.call(Vault.methods.hang, {}, { timeoutMs: 20 }));
    } finally {
      await ferry.close();
    }
  }

  it("shows where a call that timed out was made, with callerStacks: true", async () => {
    const error = await makeTheVaultCall(true);
    expect(error).to.be.instanceOf(TimeoutError);
    expect(error.stack).to.contain("--- the call was made at:");
    const caller = error.stack!.split("--- the call was made at:")[1]!;
    expect(caller).to.contain("makeTheVaultCall");
  });

  it("leaves the stack alone by default", async () => {
    const error = await makeTheVaultCall(undefined);
    expect(error).to.be.instanceOf(TimeoutError);
    expect(error.stack).not.to.contain("the call was made at");
    expect(error.stack).not.to.contain("makeTheVaultCall");
  });
});
