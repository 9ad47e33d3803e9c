// Messages between the runner and its child processes (client and server of each system).
import type { LoadResult } from "./load.js";

export type ToChild =
  /** Warm up, say `measuring`, measure, answer `measured`. */
  | { type: "load"; inFlight: number; payloadBytes: number; warmupMs: number; measureMs: number }
  /** Backlog client: publish `messages` calls to a service nobody serves yet. */
  | { type: "backlog"; messages: number; payloadBytes: number }
  | { type: "stop" };

export type FromChild =
  | { type: "ready"; info: Record<string, unknown> }
  | { type: "measuring" }
  | { type: "measured"; result: LoadResult }
  /** Backlog client, about every 250 ms: calls issued, queued at the broker, answered. */
  | { type: "backlog-progress"; published: number; depth: number; replied: number; failed: number }
  | { type: "backlog-full"; publishSeconds: number }
  | { type: "backlog-drained"; failed: number; firstError?: string }
  | { type: "failed"; message: string };
