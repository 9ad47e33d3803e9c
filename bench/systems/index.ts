// Which sides implement which system. Loaded on demand, so a process imports only its own
// system's client library.
import { SystemId } from "../catalog.js";
import type { SystemSides } from "./system.js";

export async function sidesOf(system: SystemId): Promise<SystemSides> {
  switch (system) {
    case SystemId.RawTcp:
      return (await import("./raw-tcp.js")).rawTcp;
    case SystemId.FerryInProcess:
    case SystemId.FerryTcp:
    case SystemId.FerryTcpDurable:
    case SystemId.FerryNats:
    case SystemId.FerryNatsDurable:
    case SystemId.FerryRabbitMq:
    case SystemId.FerryRabbitMqDurable:
      return (await import("./ferry.js")).ferry;
    case SystemId.NatsRequest:
      return (await import("./nats-peers.js")).natsRequest;
    case SystemId.NatsInbox:
      return (await import("./nats-peers.js")).natsInbox;
    case SystemId.RabbitMq:
      return (await import("./rabbitmq.js")).rabbitmq;
    case SystemId.Moleculer:
      return (await import("./moleculer.js")).moleculer;
  }
}
