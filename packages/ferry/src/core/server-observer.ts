import type { FerryError } from "./errors.js";
import type { WireError } from "./wire/wire-error.js";

/**
 * What a server tells about the requests that never reach a handler's interceptors, or leave it
 * for another delivery: the runtime's logger and metrics listen here. Each is off the hot path
 * (a refused, replayed, joined or redelivered request), and a server without an observer skips
 * them with one branch.
 */
export interface ServerObserver {
  /** A request refused before its handler: invalid, unknown method, idempotency mismatch. */
  refused(service: string, method: string | undefined, error: FerryError): void;
  /** A message that could not be decoded, dead-lettered at once. */
  malformed(topic: string, error: WireError): void;
  /** A duplicate answered from the idempotency store (`replayed`) or by the run in flight (`joined`). */
  deduplicated(service: string, method: string, how: "replayed" | "joined"): void;
  /** A handler failed retryably: the message goes back for delivery `deliveryCount + 1`, or to the dead-letter topic when `last`. */
  redelivered(service: string, method: string, deliveryCount: number, error: WireError, last: boolean): void;
}

/** One observer that tells each of `observers`, or undefined when there are none. */
export function combineObservers(observers: readonly (ServerObserver | undefined)[]): ServerObserver | undefined {
  const present = observers.filter((observer): observer is ServerObserver => observer !== undefined);
  if (present.length <= 1) return present[0];
  return {
    refused: (...args) => present.forEach((observer) => observer.refused(...args)),
    malformed: (...args) => present.forEach((observer) => observer.malformed(...args)),
    deduplicated: (...args) => present.forEach((observer) => observer.deduplicated(...args)),
    redelivered: (...args) => present.forEach((observer) => observer.redelivered(...args)),
  };
}
