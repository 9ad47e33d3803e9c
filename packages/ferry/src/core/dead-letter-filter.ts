import { describeValue } from "./describe-value.js";
import type { DeadLetterRecord } from "./dead-letters.js";
import { InvalidArgumentError } from "./errors.js";

/** Which dead letters of a service an operation takes. Every field narrows; none means all. */
export interface DeadLetterFilter {
  /** Only requests (or events) to this method. */
  method?: string;
  /** Only those whose last error has this code (`ACK_TIMEOUT`, `UNAVAILABLE`, a handler's own code...). */
  error?: string;
  /** Only those dead-lettered at or after this time (a `Date`, or epoch ms). */
  since?: Date | number;
  /** At most this many entries, oldest first. `list` defaults to 1,000 (`defaultDeadLetterListLimit`); `replay` and `purge` take every match. */
  limit?: number;
}

/** A filter checked once, from plain JavaScript or the command line: each wrong field is an `InvalidArgumentError` naming it. */
export interface CheckedFilter {
  matches(record: DeadLetterRecord): boolean;
  limit: number;
}

export function checkFilter(filter: DeadLetterFilter | undefined, defaultLimit: number): CheckedFilter {
  if (filter !== undefined && (typeof filter !== "object" || filter === null)) throw new InvalidArgumentError(`a dead-letter filter must be an object, got ${describeValue(filter)}`);
  const { method, error, since, limit } = filter ?? {};
  if (method !== undefined && (typeof method !== "string" || method === "")) throw new InvalidArgumentError(`filter.method must be a method name, got ${describeValue(method)}`);
  if (error !== undefined && (typeof error !== "string" || error === "")) throw new InvalidArgumentError(`filter.error must be an error code, got ${describeValue(error)}`);
  const sinceMs = since instanceof Date ? since.getTime() : since;
  if (sinceMs !== undefined && (typeof sinceMs !== "number" || !Number.isFinite(sinceMs))) throw new InvalidArgumentError(`filter.since must be a valid Date or epoch ms, got ${describeValue(since)}`);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new InvalidArgumentError(`filter.limit must be a positive integer, got ${describeValue(limit)}`);
  return {
    limit: limit ?? defaultLimit,
    matches: (record) =>
      (method === undefined || record.method === method) &&
      (error === undefined || record.error.code === error) &&
      (sinceMs === undefined || record.deadLetteredAt >= sinceMs),
  };
}
