import type { CallOptions, EmitOptions } from "./client.js";
import type { MethodDefinition, ServiceDefinition, ServiceHandlers, StreamMethodDefinition } from "./definition.js";
import type { FerryStream, StreamOptions } from "./stream/ferry-stream.js";
import type { Provider } from "./di.js";
import type { ServeOptions, ServerStats } from "./serve-options.js";

/**
 * What a generated client needs of Ferry: calls and events. `Ferry` is one; a unit test can hand a
 * client a stub instead (`{ call: async () => reply, emit: async () => {} }`), as ts-proto's
 * clients take an `Rpc`.
 */
export interface FerryCaller {
  call<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, options?: CallOptions): Promise<Res>;
  emit<Req>(method: MethodDefinition<Req, void>, payload: Req, options?: EmitOptions): Promise<void>;
}

/**
 * What a generated client of a service with stream methods needs besides `FerryCaller`. `Ferry`
 * is one; a test stub returns a `FerryStream` over any async iterator (`new FerryStream(() => items())`).
 */
export interface FerryStreamer {
  stream<Req, Item>(method: StreamMethodDefinition<Req, Item>, request: Req, options?: StreamOptions): FerryStream<Item>;
}

/** What a generated `serveX` needs of Ferry: somewhere to serve a service. `Ferry` is one. */
export interface ServiceHost {
  serve<D extends ServiceDefinition>(definition: D, implementation: Provider<ServiceHandlers<D>>, options?: ServeOptions): Promise<ServedService>;
}

/** A service being served by one runtime. */
export interface ServedService {
  /** What this server has handled, replayed, joined, refused, ... since it started. */
  stats(): ServerStats;
  /** Stops consuming, lets running handlers finish (within `drainTimeoutMs`), then leaves the group. */
  close(): Promise<void>;
}
