import { InternalError } from "../errors.js";
import { runChain, type IncomingCall, type ServerInterceptor } from "../interceptors.js";
import type { HandlerRun } from "../handler-run.js";
import type { StreamRun } from "./stream-run.js";

/**
 * Starts a stream through the server's interceptors; the last step runs the handler's generator.
 * Settles as the stream does (resolving with the items sent, or rejecting with the error the
 * caller was told). An interceptor that throws before `next()` refuses the stream with its error;
 * one that returns without calling `next()` refuses it with `INTERNAL`, since a stream cannot be
 * answered with one value. What the chain does after `next()` changes nothing: the run's items
 * and end are already sent.
 */
export function interceptStreamRun(
  interceptors: readonly ServerInterceptor[],
  call: IncomingCall,
  stream: StreamRun,
  handler: (request: unknown, context: HandlerRun) => unknown,
  request: unknown,
): Promise<number> {
  let started: Promise<number> | undefined;
  const chain = runChain(interceptors, call, () => (started ??= stream.start(handler, request)));
  const refuse = (error: unknown): never => {
    stream.refuse(error);
    throw error;
  };
  return chain.then(
    () => started ?? refuse(new InternalError(`a server interceptor answered the stream ${call.service}.${call.method} without calling next(): a stream cannot be answered with one value`)),
    (error: unknown) => started ?? refuse(error),
  );
}
