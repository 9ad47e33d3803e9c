import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { RabbitMqTransportOptions } from "../../packages/ferry/src/transports/rabbitmq/rabbitmq-options.js";
import { RabbitMqTransport } from "../../packages/ferry/src/transports/rabbitmq/rabbitmq-transport.js";

/** The machine's RabbitMQ (CI starts it when it is down): the tests never start their own. */
export const rabbitHost = "127.0.0.1:5672";

/** Runs `rabbitmqctl` with `args` and returns its output; throws with its stderr when it fails. */
export function rabbitmqctl(...args: string[]): string {
  return execFileSync("rabbitmqctl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
}

/**
 * A vhost of its own for a suite, created before it and deleted (with every queue in it) after
 * it, so nothing a test makes outlives the run and nothing another run made is seen. Returns the
 * url to connect to it.
 */
export function useRabbitVhost(): () => string {
  const vhost = `ferry-test-${randomBytes(4).toString("hex")}`;
  before(function () {
    this.timeout(60_000);
    rabbitmqctl("add_vhost", vhost);
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
  });
  after(function () {
    this.timeout(60_000);
    rabbitmqctl("delete_vhost", vhost);
  });
  return () => `amqp://guest:guest@${rabbitHost}/${vhost}`;
}

/** Something a test opens and must close. */
interface Closable {
  close(): Promise<void>;
}

/**
 * Per-test RabbitMQ transports on a suite's vhost (`url`): `transport(prefix, options)` connects
 * one; it, and whatever else a test hands to `track`, is closed after that test, last first.
 */
export function useRabbitTransports(url: () => string): {
  transport(prefix: string, options?: Omit<RabbitMqTransportOptions, "url" | "prefix">): Promise<RabbitMqTransport>;
  track<T extends Closable>(item: T): T;
} {
  const opened: Closable[] = [];
  afterEach(async () => {
    for (const item of opened.splice(0).reverse()) await item.close();
  });
  const track = <T extends Closable>(item: T): T => {
    opened.push(item);
    return item;
  };
  return { track, transport: async (prefix, options = {}) => track(await RabbitMqTransport.connect({ url: url(), prefix, ...options })) };
}

/** Closes every connection to RabbitMQ whose name (`connectionName`) is `name`: other clients of the shared server are left alone. */
export function closeConnectionsNamed(name: string): number {
  const lines = rabbitmqctl("list_connections", "--no-table-headers", "--silent", "pid", "client_properties").split("\n");
  let closed = 0;
  for (const line of lines) {
    const pid = /^(<[^>]+>)/.exec(line.trim())?.[1];
    if (pid === undefined || !line.includes(`{"connection_name","${name}"}`)) continue;
    try {
      rabbitmqctl("close_connection", pid, "closed by a Ferry test");
      closed++;
    } catch {
      // Gone already.
    }
  }
  return closed;
}
