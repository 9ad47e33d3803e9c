import { UnauthenticatedError, UnavailableError } from "../../core/errors.js";

/** A failure talking to RabbitMQ as a typed, retryable error (typed errors pass through). */
export function unavailable(error: unknown): Error {
  if (error instanceof Error && "retryable" in error) return error;
  return new UnavailableError(`rabbitmq: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/** A refused first connect: `UnauthenticatedError` for refused credentials, else `UnavailableError`, naming the url without its password. */
export function connectError(url: string, error: unknown): Error {
  const where = url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
  const text = error instanceof Error ? error.message : String(error);
  if (/ACCESS_REFUSED|403/.test(text)) return new UnauthenticatedError(`rabbitmq: ${where} refused the credentials: ${text}`, { cause: error });
  if (error instanceof Error && "retryable" in error) return error;
  return new UnavailableError(`rabbitmq: cannot connect to ${where}: ${text}`, { cause: error });
}

/** What an operation that needs the connection meets while it is being reopened: retryable. */
export function notConnected(): Error {
  return new UnavailableError("rabbitmq: not connected (reconnecting)");
}
