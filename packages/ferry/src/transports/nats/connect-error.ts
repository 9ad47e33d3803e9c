import { UnauthenticatedError, UnavailableError, type FerryError } from "../../core/errors.js";

/** nats.js codes that mean the server refused the client's credentials, not that it is unreachable. */
const refusedCredentials: ReadonlySet<string> = new Set(["AUTHORIZATION_VIOLATION", "AUTHENTICATION_EXPIRED", "AUTHENTICATION_TIMEOUT", "BAD_AUTHENTICATION", "BAD_CREDS"]);

/**
 * A typed error for a first connect that failed, naming the servers tried (without any password
 * a URL carries), with nats.js's error as its `cause`: `UnauthenticatedError` for refused
 * credentials, `UnavailableError` (retryable) for everything else.
 */
export function connectError(servers: readonly string[], error: unknown): FerryError {
  const code = (error as { code?: unknown } | null)?.code;
  const text = error instanceof Error ? error.message : String(error);
  // nats.js often says nothing but its code ("CONNECTION_REFUSED"): say it once.
  const detail = typeof code === "string" && code !== text ? `${code}: ${text}` : text;
  const where = servers.length === 0 ? "the default server (127.0.0.1:4222)" : servers.map(withoutPassword).join(", ");
  const message = `nats: cannot connect to ${where}: ${detail}`;
  if (typeof code === "string" && refusedCredentials.has(code)) return new UnauthenticatedError(message, { cause: error });
  return new UnavailableError(message, { cause: error });
}

function withoutPassword(server: string): string {
  try {
    const url = new URL(server.includes("://") ? server : `nats://${server}`);
    if (url.password === "" && url.username === "") return server;
    url.password = url.password === "" ? "" : "***";
    return url.toString().replace(/\/$/, "");
  } catch {
    return server; // not a URL nats.js could use either; its own error says so
  }
}
