import { describeValue } from "./describe-value.js";
import { InvalidArgumentError } from "./errors.js";

/**
 * Where Ferry writes what happens to it: the shape of a pino logger (and of bunyan's, and of
 * most structured loggers), each method taking the facts as an object, then a message. Ferry logs
 * connection state changes, redeliveries, dead letters and refused input; never a payload, a
 * header's value or a token.
 */
export interface Logger {
  error(facts: Record<string, unknown>, message: string): void;
  warn(facts: Record<string, unknown>, message: string): void;
  info(facts: Record<string, unknown>, message: string): void;
  debug(facts: Record<string, unknown>, message: string): void;
}

const nothing = (): void => {};

/**
 * The default: logs nothing. A library writing to its application's stderr unasked mixes its
 * lines into the application's own format; pass your logger (`connect({ logger: pino() })`), or
 * `consoleLogger` for warnings and errors on the console.
 */
export const silentLogger: Logger = Object.freeze({ error: nothing, warn: nothing, info: nothing, debug: nothing });

/** Warnings and errors to `console.error`, one line each: the message, then the facts as JSON. Info and debug are dropped. */
export const consoleLogger: Logger = Object.freeze({
  error: (facts: Record<string, unknown>, message: string) => console.error(`ferry error: ${message} ${JSON.stringify(facts)}`),
  warn: (facts: Record<string, unknown>, message: string) => console.error(`ferry warn: ${message} ${JSON.stringify(facts)}`),
  info: nothing,
  debug: nothing,
});

/** Checks a `logger` option from plain JavaScript: an object with the four methods, or nothing. */
export function checkLogger(logger: Logger | undefined, where: string): Logger {
  if (logger === undefined) return silentLogger;
  const levels = ["error", "warn", "info", "debug"] as const;
  const missing = levels.filter((level) => typeof (logger as Partial<Logger> | null)?.[level] !== "function");
  if (missing.length > 0) {
    throw new InvalidArgumentError(`${where}: logger needs the methods error, warn, info and debug (each (facts, message)); ${describeValue(logger)} lacks ${missing.join(", ")}`);
  }
  return logger;
}
