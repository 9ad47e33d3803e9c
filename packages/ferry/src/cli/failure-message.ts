import { ErrorCode, FerryError } from "../core/errors.js";

/**
 * The one line an expected failure prints: what went wrong and what to do about it. Returns
 * undefined for an unexpected error, which is printed with its stack (a bug to report).
 */
export function failureMessage(error: unknown): string | undefined {
  if (error instanceof FerryError) return `${error.message}${hintFor(error.code, error.message)}`;
  const system = error as (NodeJS.ErrnoException & { address?: string; port?: number }) | undefined;
  const message = error instanceof Error ? error.message : String(error);
  switch (system?.code) {
    case "EADDRINUSE":
      return `${system.address ?? "the address"}:${system.port ?? "?"} is in use: stop the process that has it, or pick another port with --port`;
    case "EACCES":
    case "EPERM":
      return `${message}: permission denied; use a port above 1023, or a path you may write`;
    case "ENOENT":
      return `${message}: no such file or directory`;
    case "ECONNREFUSED":
      return `${message}: nothing listens there; start the server, or check the url`;
    default:
      return undefined;
  }
}

function hintFor(code: string, message: string): string {
  switch (code) {
    case ErrorCode.Unavailable:
      return "; is the broker running there? start one with `ferry broker`, or pass --url";
    case ErrorCode.Unauthenticated:
      return "; pass the broker's token with --token or FERRY_TOKEN";
    case ErrorCode.InvalidArgument:
      return /url/i.test(message) ? "; use ferry://host:port, ferrys://host:port or nats://host:port" : "";
    default:
      return "";
  }
}
