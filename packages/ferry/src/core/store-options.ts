import { describeValue } from "./describe-value.js";
import { InvalidArgumentError } from "./errors.js";

/*
 * Checks of the options of the shared idempotency stores and the outboxes: a wrong value from
 * plain JavaScript (a string of milliseconds, a negative lease) fails at construction, naming the
 * option, rather than as a lease that never renews.
 */

/** `value` if it is a positive finite number of milliseconds, else `fallback` if absent; throws otherwise. */
export function positiveMs(owner: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new InvalidArgumentError(`${owner}: ${name} must be a positive number of milliseconds, got ${describeValue(value)}`);
  }
  return value;
}

/** `value` if it is an integer of at least `min`, else `fallback` if absent; throws otherwise. */
export function countOption(owner: string, name: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new InvalidArgumentError(`${owner}: ${name} must be an integer of at least ${min}, got ${describeValue(value)}`);
  }
  return value;
}

/** `value` if it is a non-empty string matching `pattern`, else `fallback` if absent; throws otherwise. */
export function nameOption(owner: string, name: string, value: unknown, fallback: string, pattern: RegExp, rule: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !pattern.test(value)) throw new InvalidArgumentError(`${owner}: ${name} must be ${rule}, got ${describeValue(value)}`);
  return value;
}
