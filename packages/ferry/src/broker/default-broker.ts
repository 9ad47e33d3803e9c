import { Broker } from "./broker.js";

let shared: Broker | undefined;

/**
 * The broker every `connect()` without a URL joins, so a client and a server in one process find
 * each other with no configuration. It lives as long as the process.
 */
export function defaultBroker(): Broker {
  return (shared ??= new Broker());
}
