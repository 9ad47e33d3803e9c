import { RabbitMqTransport } from "../../packages/ferry/src/transports/rabbitmq/rabbitmq-transport.js";
import { transportConformance } from "../transport-conformance.js";
import { useRabbitVhost } from "../support/rabbitmq.js";

/** What RabbitMQ cannot do as the suite asks, by test title, with the reason. */
const skips = {
  "splits partitions between the members of a group and hands them over when one leaves":
    "a keyed partition queue has a single active consumer, and RabbitMQ makes the first member to subscribe active on every partition: the others take over when it leaves, and share the unkeyed queue, but RabbitMQ does not balance partitions",
  "counts the request it dropped for its deadline":
    "the request is dropped (tested), by RabbitMQ (per-message TTL) or by the member, and the member counts what it dropped in its own transport's stats; this test reads a producer's connection, and RabbitMQ keeps no counter of expired messages it would tell over AMQP",
  "counts the message a full drop-oldest partition dropped": "the oldest message is dropped (tested), but RabbitMQ keeps no count of what x-overflow drop-head dropped",
  "dead-letters a message after maxDeliveries, with its error, attempts and origin":
    "the dead letter, its error, attempts and origin are tested in test/rabbitmq/dead-letters.test.ts; this test also reads the count from the caller's connection, and RabbitMQ keeps no count of dead letters: the serving member counts them",
};

describe("rabbitmq", function () {
  const url = useRabbitVhost();
  let tests = 0;

  transportConformance({
    name: "RabbitMQ",
    skip: skips,
    async start() {
      // Each test gets its own queues in the suite's vhost.
      const prefix = `t${++tests}`;
      return {
        connect: async () => RabbitMqTransport.connect({ url: url(), prefix, connectionName: "ferry-conformance" }),
        close: async () => undefined,
      };
    },
  });
});
