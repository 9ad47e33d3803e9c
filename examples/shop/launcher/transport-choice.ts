import type { ConnectOptions } from "../../../packages/ferry/src/index.js";

/** Where the shop runs: Ferry's TCP broker (the default), NATS, or RabbitMQ. */
export type ShopTransport = { kind: "tcp" } | { kind: "nats"; url: string; mode: "durable" | "core" } | { kind: "amqp"; url: string };

/** How every process of the shop connects, and which steps the transport can show. */
export interface TransportChoice {
  /** For the first output line, e.g. "the TCP broker". */
  label: string;
  connectOptions: ConnectOptions;
  /** The TCP broker's url, for `ferry stats`; none on NATS. */
  brokerUrl: string | undefined;
  /** What to know about dead letters on this transport, when it differs from a broker that stores them. */
  deadLetterNote: string | undefined;
  /** Why the backlog step cannot run here; undefined when it can. */
  noBacklog: string | undefined;
}

/** Every subject, stream and consumer of the shop on NATS starts with this, apart from other Ferry users. */
const natsPrefix = "shop";

export function tcpChoice(brokerUrl: string): TransportChoice {
  return { label: "Ferry's TCP broker", connectOptions: { url: brokerUrl }, brokerUrl, deadLetterNote: undefined, noBacklog: undefined };
}

export function natsChoice(url: string, mode: "durable" | "core"): TransportChoice {
  const connectOptions: ConnectOptions = { url, nats: { mode, prefix: natsPrefix } };
  if (mode === "durable") {
    return { label: `NATS at ${url}, durable mode (JetStream)`, connectOptions, brokerUrl: undefined, deadLetterNote: undefined, noBacklog: undefined };
  }
  return {
    label: `NATS at ${url}, core mode`,
    connectOptions,
    brokerUrl: undefined,
    deadLetterNote: "core NATS stores no dead letter: it is published once, and only a subscriber listening at that moment (here, the launcher) gets it",
    noBacklog: "core NATS stores nothing: a burst waits in the consumer's memory, where no broker sees a depth (run with durable mode for this step)",
  };
}

/** The shop on RabbitMQ: its queues are named `shop/...`, apart from other Ferry users of the vhost. */
export function amqpChoice(url: string): TransportChoice {
  const where = url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
  return { label: `RabbitMQ at ${where}`, connectOptions: { url, rabbitmq: { prefix: natsPrefix } }, brokerUrl: undefined, deadLetterNote: undefined, noBacklog: undefined };
}
