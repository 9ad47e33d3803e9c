import type { CallContext } from "../../packages/ferry/src/core/context.js";
import { defineService, stream } from "../../packages/ferry/src/core/definition.js";
import { FerryError } from "../../packages/ferry/src/core/errors.js";

/** A streaming service for the conformance suite, of the shape codegen emits for `AsyncIterable` methods. */
export const Counter = defineService("Counter", {
  /** Yields `{ n }` for n from 0 to `count - 1` (forever when `count` is absent); `failAt` throws there. */
  count: stream<{ count?: number; failAt?: number; size?: number }, { n: number; pad?: string }>(),
});

/** What the test sees of the server's generators: how far each was pulled, and which `finally` ran. */
export interface CounterProbe {
  pulled: number;
  finallyRan: number;
  /** The reason of `ctx.signal` when the generator's `finally` ran, if it was aborted. */
  abortReasons: unknown[];
}

export function counterProbe(): CounterProbe {
  return { pulled: 0, finallyRan: 0, abortReasons: [] };
}

/** The Counter handler: an async generator recording into `probe`. */
export function counterImpl(probe: CounterProbe) {
  return {
    async *count({ count, failAt, size }: { count?: number; failAt?: number; size?: number }, context: CallContext): AsyncGenerator<{ n: number; pad?: string }> {
      try {
        for (let n = 0; count === undefined || n < count; n++) {
          if (n === failAt) throw new FerryError("OUT_OF_STOCK", `failed at ${n}`, { data: { n } });
          probe.pulled++;
          yield size === undefined ? { n } : { n, pad: "x".repeat(size) };
        }
      } finally {
        probe.finallyRan++;
        if (context.signal.aborted) probe.abortReasons.push(context.signal.reason);
      }
    },
  };
}
