import { expect } from "chai";
import { UnavailableError } from "../../packages/ferry/src/core/errors.js";
import { RabbitMqTransport } from "../../packages/ferry/src/transports/rabbitmq/rabbitmq-transport.js";
import { rejection, until } from "../support/wait.js";
import { rabbitmqctl, useRabbitVhost } from "../support/rabbitmq.js";

/** RabbitMQ's memory high watermark now, as `rabbitmqctl eval` prints it (e.g. `{relative,0.4}` or `0.4`). */
function currentWatermark(): string {
  return rabbitmqctl("eval", "vm_memory_monitor:get_vm_memory_high_watermark().").trim();
}

describe("rabbitmq memory alarm", function () {
  this.timeout(60_000);
  const url = useRabbitVhost();

  it("fails publishes with UNAVAILABLE while RabbitMQ blocks the connection, never hangs, and publishes again once it clears", async () => {
    const transport = await RabbitMqTransport.connect({ url: url(), prefix: "alarm" });
    await transport.declareTopic("jobs", {});
    const before = currentWatermark();
    const relative = /^(?:\{relative,)?([0-9.]+)\}?$/.exec(before)?.[1];
    expect(relative, `a watermark this test can restore, got ${before}`).to.be.a("string");
    let error: unknown;
    try {
      // A real alarm: every publishing connection of the server is blocked until it clears.
      rabbitmqctl("set_vm_memory_high_watermark", "0.0000001");
      error = await rejection(transport.publish("jobs", new Uint8Array([1])));
    } finally {
      rabbitmqctl("set_vm_memory_high_watermark", relative!);
    }
    expect(error).to.be.instanceOf(UnavailableError);
    expect((error as Error).message).to.match(/blocked/);
    await until(async () => transport.publish("jobs", new Uint8Array([2])).then(() => true, () => false), "a publish after the alarm cleared", 10_000, 30_000);
    await transport.close();
  });
});
