/**
 * Where a call was made, kept until it settles: a failure that arrives later (a timeout fired by
 * a timer, a reply from another process) has a stack that says nothing about the caller. As
 * nats.js does with its async traces, the runtime captures a stack at `call()` and appends its
 * frames to the failure, so a `TimeoutError` points at the line that made the call.
 *
 * Capturing costs one stack walk per call (formatting is deferred until the stack is read), which
 * is why it is off unless `connect({ callerStacks: true })`; README ("Caller stacks") has the
 * measured cost. The frames are captured on a plain object: an `Error` would walk the stack twice.
 */
export function captureCallerStack(below: Function): { stack?: string } {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, below);
  return holder;
}

/** Marks where the caller's frames begin in a failure's stack. */
export const callerStackMarker = "    --- the call was made at:";

/** `error`, with the frames of `origin` appended to its stack (once), or as it is without one. */
export function withCallerStack(error: Error, origin: { stack?: string } | undefined): Error {
  if (origin === undefined) return error;
  const frames = origin.stack?.split("\n").slice(1).join("\n");
  if (frames === undefined || frames === "") return error;
  const own = error.stack ?? `${error.name}: ${error.message}`;
  if (own.includes(callerStackMarker)) return error;
  try {
    error.stack = `${own}\n${callerStackMarker}\n${frames}`;
  } catch {
    // A frozen error keeps its own stack.
  }
  return error;
}
