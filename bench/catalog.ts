// The systems the benchmark knows: Ferry on each transport, raw TCP as the practical limit, and
// the peers. Pure data, shared by the runner and the report.

export const SystemId = {
  RawTcp: "raw-tcp",
  FerryInProcess: "ferry-in-process",
  FerryTcp: "ferry-tcp",
  FerryTcpDurable: "ferry-tcp-durable",
  FerryNats: "ferry-nats",
  FerryNatsDurable: "ferry-nats-durable",
  NatsRequest: "nats-request",
  NatsInbox: "nats-inbox",
  FerryRabbitMq: "ferry-rabbitmq",
  FerryRabbitMqDurable: "ferry-rabbitmq-durable",
  RabbitMq: "rabbitmq",
  Moleculer: "moleculer",
} as const;
export type SystemId = (typeof SystemId)[keyof typeof SystemId];

/** The broker process in a system's path, if any; its CPU and memory are counted with the call. */
export const BrokerKind = { None: "none", Ferry: "ferry broker", Nats: "nats-server", RabbitMq: "rabbitmq" } as const;
export type BrokerKind = (typeof BrokerKind)[keyof typeof BrokerKind];

export interface SystemInfo {
  id: SystemId;
  label: string;
  family: "baseline" | "ferry" | "peer";
  broker: BrokerKind;
  /** False for Ferry in-process: client, broker and server share one process. */
  separateServer: boolean;
  /** What is measured, for the README. */
  description: string;
}

export const systems: readonly SystemInfo[] = [
  {
    id: SystemId.RawTcp,
    label: "raw TCP ping-pong",
    family: "baseline",
    broker: BrokerKind.None,
    separateServer: true,
    description: "Node `net`, length-prefixed frames with a request id, writes corked per tick: the practical limit",
  },
  {
    id: SystemId.FerryInProcess,
    label: "Ferry in-process",
    family: "ferry",
    broker: BrokerKind.None,
    separateServer: false,
    description: "client, embedded broker and server in one process, every hop encoded",
  },
  { id: SystemId.FerryTcp, label: "Ferry TCP broker", family: "ferry", broker: BrokerKind.Ferry, separateServer: true, description: "`ferry broker` in its own process" },
  {
    id: SystemId.FerryTcpDurable,
    label: "Ferry TCP broker, durable",
    family: "ferry",
    broker: BrokerKind.Ferry,
    separateServer: true,
    description: "`ferry broker --data <tmp> --fsync always`, a durable method: confirmed after fsync",
  },
  { id: SystemId.FerryNats, label: "Ferry NATS core", family: "ferry", broker: BrokerKind.Nats, separateServer: true, description: "core NATS subjects" },
  {
    id: SystemId.FerryNatsDurable,
    label: "Ferry NATS durable",
    family: "ferry",
    broker: BrokerKind.Nats,
    separateServer: true,
    description: "a durable method: a JetStream stream (R1, file storage), acked after the handler",
  },
  { id: SystemId.NatsRequest, label: "nats.js nc.request", family: "peer", broker: BrokerKind.Nats, separateServer: true, description: "`nc.request()` with default options" },
  {
    id: SystemId.NatsInbox,
    label: "nats.js muxed inbox",
    family: "peer",
    broker: BrokerKind.Nats,
    separateServer: true,
    description: "hand-tuned: one wildcard reply subscription, `publish` with a reply subject, own correlation map",
  },
  {
    id: SystemId.FerryRabbitMq,
    label: "Ferry RabbitMQ core",
    family: "ferry",
    broker: BrokerKind.RabbitMq,
    separateServer: true,
    description: "classic auto-delete partition queues, confirmed publishes, manual ack after the reply, an exclusive reply queue",
  },
  {
    id: SystemId.FerryRabbitMqDurable,
    label: "Ferry RabbitMQ durable",
    family: "ferry",
    broker: BrokerKind.RabbitMq,
    separateServer: true,
    description: "a durable method: persistent messages on quorum queues (1 replica), confirmed, acked after the handler",
  },
  {
    id: SystemId.RabbitMq,
    label: "RabbitMQ amqplib",
    family: "peer",
    broker: BrokerKind.RabbitMq,
    separateServer: true,
    description: "direct reply-to, a non-durable queue, prefetch 100, one ack per message",
  },
  {
    id: SystemId.Moleculer,
    label: "Moleculer over NATS",
    family: "peer",
    broker: BrokerKind.Nats,
    separateServer: true,
    description: "two ServiceBrokers, NATS transporter, msgpackr serializer",
  },
];

export function systemInfo(id: SystemId): SystemInfo {
  const info = systems.find((system) => system.id === id);
  if (info === undefined) throw new Error(`unknown system ${id}`);
  return info;
}

export function isSystemId(value: string): value is SystemId {
  return systems.some((system) => system.id === value);
}
