import { InvalidArgumentError } from "../core/errors.js";
import type { OverflowPolicy, TopicOptions } from "../core/transport.js";

/**
 * The `TopicOptions` a caller declared (a `DeclareTopic` frame's map, or an in-process
 * `declareTopic` from plain JavaScript), each option of the type it must have.
 * A wrong type is the caller's mistake, answered with `InvalidArgumentError` as the broker answers
 * a value out of range: the connection stays up. Keys that are not options are left out (a newer
 * client's option means nothing here, and would otherwise be saved with the topic).
 */
export function readTopicOptions(map: unknown): TopicOptions {
  if (typeof map !== "object" || map === null || Array.isArray(map)) throw new InvalidArgumentError(`topic options must be an object, got ${map === null ? "null" : Array.isArray(map) ? "an array" : typeof map}`);
  return {
    partitions: option(map, "partitions", isNumber, "a number"),
    durable: option(map, "durable", isBoolean, "a boolean"),
    maxLength: option(map, "maxLength", isNumber, "a number"),
    overflow: option(map, "overflow", isOverflowPolicy, `"reject" or "drop-oldest"`),
    ackTimeoutMs: option(map, "ackTimeoutMs", isNumber, "a number"),
    maxDeliveries: option(map, "maxDeliveries", isNumber, "a number"),
  };
}

function option<T>(map: object, name: keyof TopicOptions, is: (value: unknown) => value is T, expected: string): T | undefined {
  const value: unknown = Object.hasOwn(map, name) ? Reflect.get(map, name) : undefined;
  if (value === undefined || is(value)) return value;
  throw new InvalidArgumentError(`topic option ${name} must be ${expected}, got ${typeof value === "string" ? JSON.stringify(value) : String(value)}`);
}

const isNumber = (value: unknown): value is number => typeof value === "number";
const isBoolean = (value: unknown): value is boolean => typeof value === "boolean";
const isOverflowPolicy = (value: unknown): value is OverflowPolicy => value === "reject" || value === "drop-oldest";
