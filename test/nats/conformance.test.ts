import { NatsMode, type NatsMode as Mode } from "../../packages/ferry/src/transports/nats/nats-options.js";
import { NatsTransport } from "../../packages/ferry/src/transports/nats/nats-transport.js";
import { transportConformance } from "../transport-conformance.js";
import { useNatsServer } from "../support/nats-server.js";

/** Neither mode: NATS consumers pull from shared consumers, nobody owns a partition, and NATS keeps no drop counters. */
const bothModes = {
  "splits partitions between the members of a group and hands them over when one leaves":
    "NATS has no partition ownership: members pull from one shared consumer per lane (durable) or a queue group (core)",
  "counts the request it dropped for its deadline":
    "the request is dropped (tested), and counted by the member that dropped it, in its own transport's stats (test/nats/expired-stats.test.ts); this test reads a producer's connection, and JetStream keeps no counter it could read",
  "counts the message a full drop-oldest partition dropped":
    "the oldest message is dropped (tested in durable mode), but JetStream keeps no dropped counter to report",
};

/** Core NATS has no broker-side storage, acks or redelivery. */
const coreOnly = {
  "redelivers what a consumer held when it leaves mid-handling": "core NATS: no broker-side redelivery (a leaving member republishes, but nothing counts lag)",
  "dead-letters a message after maxDeliveries, with its error, attempts and origin": "core NATS: dead letters are published, but no broker counts them",
  "holds back later messages of a key while an earlier one waits for redelivery": "core NATS: a nacked message is republished behind later ones",
  "rejects a publish to a full partition with QUEUE_FULL, and keeps what it held": "core NATS: no maxLength (nothing is stored)",
  "drops the oldest message of a full drop-oldest partition": "core NATS: no maxLength (nothing is stored)",
  "drops a request whose deadline passed while it waited in the queue":
    "core NATS: nothing waits in NATS, and calls carry no expiry header (the server drops a request past its deadline itself)",
};

const skips: Record<Mode, Record<string, string>> = {
  [NatsMode.Core]: { ...bothModes, ...coreOnly },
  [NatsMode.Durable]: bothModes,
};

for (const mode of [NatsMode.Core, NatsMode.Durable]) {
  describe(`nats ${mode} mode`, function () {
    const natsUrl = useNatsServer();
    let tests = 0;

    transportConformance({
      name: `NATS (${mode} mode)`,
      skip: skips[mode],
      async start() {
        // Each test gets its own namespace on the shared server: its own subjects, streams and consumers.
        const prefix = `t${mode[0]}${++tests}`;
        return {
          connect: async () => NatsTransport.connect({ url: natsUrl(), mode, prefix }),
          close: async () => undefined,
        };
      },
    });
  });
}
