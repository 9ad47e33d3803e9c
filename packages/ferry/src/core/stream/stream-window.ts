import { maxStreamWindow, maxStreamWindowBytes } from "../defaults.js";
import { describeValue } from "../describe-value.js";
import { InvalidArgumentError } from "../errors.js";

/**
 * Checks a credit window, from a caller's options or from a stream request off the wire: a whole
 * number from 1 to `maxStreamWindow`. A window of 0 would never let an item through; a larger one
 * than the maximum lets one stream hold more memory than a server allows.
 */
export function checkStreamWindow(window: unknown, what: string): number {
  if (typeof window !== "number" || !Number.isInteger(window) || window < 1 || window > maxStreamWindow) {
    throw new InvalidArgumentError(`${what} must be a whole number of items from 1 to ${maxStreamWindow} (maxStreamWindow), got ${describeValue(window)}`);
  }
  return window;
}

/** Checks a byte budget of items ahead of the consumer: a whole number from 1 to `maxStreamWindowBytes`. */
export function checkStreamWindowBytes(bytes: unknown, what: string): number {
  if (typeof bytes !== "number" || !Number.isInteger(bytes) || bytes < 1 || bytes > maxStreamWindowBytes) {
    throw new InvalidArgumentError(`${what} must be a whole number of bytes from 1 to ${maxStreamWindowBytes} (maxStreamWindowBytes), got ${describeValue(bytes)}`);
  }
  return bytes;
}
