import type { AmqpConnection } from "./amqp-api.js";

/** A member of a group or a dead-letter reader: started on each (re)connect, detached when the connection drops. */
export interface Member {
  start(connection: AmqpConnection, lost: () => void): Promise<void>;
  detach(): void;
  close(): Promise<void>;
  /** Declares the queues it reads (again, after a reconnect: core queues went with their consumers). */
  declare(): Promise<void>;
}
