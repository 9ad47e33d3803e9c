import { maxStreamWindow, maxStreamWindowBytes } from "../defaults.js";
import { describeValue } from "../describe-value.js";
import { InvalidArgumentError } from "../errors.js";

/**
 * Checks a credit window, from a caller's options or from a stream request off the wire: a whole
 * number from 1 to `maxStreamWindow`. A window of 0 would never let an item through; a larger one
 * than the maximum lets one stream hold more memory than a server allows.
 */
export function checkStreamWindow(window: unknown, what: string): number {
  return checkWhole(window, what, "items", maxStreamWindow, "maxStreamWindow");
}

/** Checks a byte budget of items ahead of the consumer: a whole number from 1 to `maxStreamWindowBytes`. */
export function checkStreamWindowBytes(bytes: unknown, what: string): number {
  return checkWhole(bytes, what, "bytes", maxStreamWindowBytes, "maxStreamWindowBytes");
}

function checkWhole(value: unknown, what: string, unit: string, max: number, maxName: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(`${what} must be a whole number of ${unit} from 1 to ${max} (${maxName}), got ${describeValue(value)}`);
  }
  return value;
}
