// What each measured system provides: a server side (in its own process) and a client side.
import type { SystemId } from "../catalog.js";
import type { AddRequest } from "../payload.js";

/** Everything a system's two sides need to find each other, passed to both child processes. */
export interface SetupConfig {
  system: SystemId;
  /** Unique per setup: names subjects, queues and namespaces so setups never see each other. */
  runId: string;
  /** `ferry://host:port` of the Ferry broker process. */
  ferryUrl?: string;
  natsUrl?: string;
  amqpUrl?: string;
  /** Partitions of the service topic (Ferry); unset: the transport's default. */
  partitions?: number;
  /** Ferry: make `add` a durable method (it then queues while no server runs). */
  durableMethod?: boolean;
  /** Ferry: most messages each partition of the service topic holds (the broker's default is 100,000). */
  queueLength?: number;
  /** What the server side reported when it was ready (raw TCP's port). */
  server?: Record<string, unknown>;
}

export interface ServerSide {
  info: Record<string, unknown>;
  close(): Promise<void>;
}

export interface ClientSide {
  /** Facts for the report, such as the broker's version. */
  info: Record<string, unknown>;
  /** One request/reply round trip; resolves with the reply's sum. */
  call(request: AddRequest): Promise<number>;
  close(): Promise<void>;
}

export interface SystemSides {
  serve(config: SetupConfig): Promise<ServerSide>;
  connect(config: SetupConfig): Promise<ClientSide>;
}
