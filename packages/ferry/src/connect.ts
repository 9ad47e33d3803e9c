import { Ferry, type FerryOptions } from "./core/ferry.js";
import { InvalidArgumentError } from "./core/errors.js";
import type { Transport } from "./core/transport.js";
import { importOptionalPeer } from "./transports/optional-peer.js";
import { loadTelemetry } from "./core/telemetry/load-telemetry.js";
import type { Broker } from "./broker/broker.js";
import type { TcpTransportOptions } from "./transports/tcp/tcp-transport.js";
import type { NatsTransportOptions } from "./transports/nats/nats-options.js";
import type { RabbitMqTransportOptions } from "./transports/rabbitmq/rabbitmq-options.js";

export interface ConnectOptions extends FerryOptions {
  /**
   * Where the broker is. Default: none, the in-process embedded broker. `ferry://host:port` (or
   * `ferrys://` for TLS): a shared TCP broker (`ferry broker`, `startBroker`). `nats://`: a NATS
   * server or cluster (see `nats`). `amqp://` (or `amqps://`): a RabbitMQ server (see `rabbitmq`).
   */
  url?: string;
  /** Options of the NATS transport (connection options, mode, replicas) when `url` is `nats://`. */
  nats?: NatsTransportOptions;
  /** Options of the RabbitMQ transport (prefix, partitions, replicas, reconnect) when `url` is `amqp://` or `amqps://`. */
  rabbitmq?: RabbitMqTransportOptions;
  /** The in-process broker to join. Default: the process-wide `defaultBroker()`. */
  broker?: Broker;
  /** For `ferry://`: the broker's token, if it requires one. */
  token?: string;
  /** For `ferrys://` (TLS): options such as `ca`. */
  tls?: TcpTransportOptions["tls"];
}

/** Connects to a broker and returns a started runtime: ready to `call`, `emit` and `serve`. */
export async function connect(options: ConnectOptions = {}): Promise<Ferry> {
  const transport = await openTransport(options);
  try {
    const telemetry = options.telemetry === false ? undefined : await loadTelemetry(messagingSystemOf(options.url));
    // Inside the try: options refused by the runtime (`errors`, `defaultTimeoutMs`, ...) must not leave the connection open.
    const ferry = new Ferry(transport, options, telemetry);
    await ferry.start();
    return ferry;
  } catch (error) {
    await transport.close();
    throw error;
  }
}

/** The transport `options.url` names, connected: what `connect` builds a runtime on (and `ferry stats` reads). */
export async function openTransport(options: ConnectOptions): Promise<Transport> {
  if (options.url === undefined) {
    // Loaded on demand, like every transport: an application pays only for the one it uses.
    const { InProcessTransport, defaultBroker } = await import("./broker/index.js");
    return new InProcessTransport(options.broker ?? defaultBroker());
  }
  const scheme = /^([a-z]+):\/\//.exec(options.url)?.[1];
  if (scheme === "ferry" || scheme === "ferrys") {
    const { TcpTransport } = await import("./broker/index.js");
    return TcpTransport.connect({ url: options.url, ...(options.token === undefined ? {} : { token: options.token }), ...(options.tls === undefined ? {} : { tls: options.tls }) });
  }
  if (scheme === "nats") {
    const { NatsTransport } = await importOptionalPeer(() => import("./transports/nats/index.js"), "nats", "connect({ url: \"nats://...\" })");
    return NatsTransport.connect({ ...options.nats, url: options.url });
  }
  if (scheme === "amqp" || scheme === "amqps") {
    // amqplib itself is loaded (and its absence reported) by the transport.
    const { RabbitMqTransport } = await import("./transports/rabbitmq/index.js");
    return RabbitMqTransport.connect({ ...options.rabbitmq, url: options.url });
  }
  throw new InvalidArgumentError(`connect: unsupported url ${JSON.stringify(options.url)}${scheme === undefined ? "" : ` (scheme ${scheme}: is not available in this version)`}; use ferry://, ferrys://, nats:// or amqp://, or omit url for the in-process broker`);
}

/** `messaging.system` of the spans a runtime on `url` makes: `nats`, `rabbitmq` (the conventions' names), `ferry` for Ferry's own brokers. */
function messagingSystemOf(url: string | undefined): string {
  if (url?.startsWith("nats://") === true) return "nats";
  if (url?.startsWith("amqp://") === true || url?.startsWith("amqps://") === true) return "rabbitmq";
  return "ferry";
}
