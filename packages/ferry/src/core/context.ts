import { AsyncLocalStorage } from "node:async_hooks";

/** What a handler knows about the call it is running. */
export interface CallContext {
  readonly service: string;
  readonly method: string;
  /** Call id (uuid v7), the same on every attempt. */
  readonly callId: string;
  readonly idempotencyKey: string;
  /** Absolute deadline, epoch ms. Calls made inside the handler inherit it. */
  readonly deadline: number;
  /** Which attempt of the caller this is (1 = first). */
  readonly attempt: number;
  /** How often the broker has delivered this message (1 = first). */
  readonly deliveryCount: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Aborts when the caller cancels, the deadline passes, or the server shuts down hard. */
  readonly signal: AbortSignal;
}

const storage = new AsyncLocalStorage<CallContext>();

/** Runs `fn(...args)` with `context` as the current call, so nested calls inherit its deadline and signal. */
export function runInContext<A extends unknown[], T>(context: CallContext, fn: (...args: A) => T, ...args: A): T {
  return storage.run(context, fn, ...args);
}

/** The call being handled on this async path, if any. */
export function currentContext(): CallContext | undefined {
  return storage.getStore();
}
