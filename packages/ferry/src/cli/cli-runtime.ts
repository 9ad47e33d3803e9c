import { defaultBrokerUrl } from "../broker/server/broker-address.js";
import { connect } from "../connect.js";
import type { Ferry } from "../core/ferry.js";
import type { DiscoveryOptions } from "../core/registry/service-info.js";
import { UsageError } from "./cli-errors.js";

/**
 * A runtime on the broker `--url` (or `FERRY_URL`) names, for the commands that talk to running
 * services (`services`, `ping`, `call`). NATS is opened in core mode, which creates no stream,
 * and without reconnecting: a command fails at once when the server is not there.
 */
export async function connectFromFlags(strings: ReadonlyMap<string, string>): Promise<Ferry> {
  const url = strings.get("url") ?? process.env.FERRY_URL ?? defaultBrokerUrl;
  const token = strings.get("token") ?? process.env.FERRY_TOKEN;
  if (!/^(ferry|ferrys|nats):\/\//.test(url)) throw new UsageError(`--url must be ferry://host:port, ferrys://host:port or nats://host:port, got ${JSON.stringify(url)}`);
  const auth = token === undefined ? {} : { token };
  return connect({ url, ...auth, nats: { maxReconnectAttempts: 0, ...auth } });
}

/** `--wait-ms`, checked: how long a discovery collects answers. */
export function discoveryOptionsFromFlags(strings: ReadonlyMap<string, string>): DiscoveryOptions {
  const text = strings.get("wait-ms");
  if (text === undefined) return {};
  return { waitMs: positiveInteger("--wait-ms", text) };
}

/** A flag's value as a positive whole number, or a usage error naming the flag. */
export function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) throw new UsageError(`${flag} must be a positive whole number, got ${JSON.stringify(text)}`);
  return value;
}
