import type { LastError } from "./service-record.js";

/** What `ferry.services()` returns per service: every instance that answered. */
export interface ServiceInfo {
  /** The service's name, e.g. `shop.Orders`. */
  name: string;
  /** Sorted by host, pid, then instance id. */
  instances: ServiceInstanceInfo[];
}

/** One runtime serving the service, as it described itself. */
export interface ServiceInstanceInfo {
  /** The runtime's id: random, made once per `connect()`; one runtime may serve many services. */
  instanceId: string;
  host: string;
  pid: number;
  /** The consumer group it serves in (the service name unless `ServeOptions.group` set another). */
  group: string;
  /** codegen's `schemaHash` of the interface, or a hash of the definition's methods and tags (see `definitionHash`). */
  schemaHash: string;
  /** When `serve` started it, epoch ms. */
  startedAt: number;
  /** Per method, in the definition's order. */
  methods: MethodInfo[];
}

/** What one instance's method has done since it started being served. */
export interface MethodInfo {
  name: string;
  /** `call`, `event` or `stream`. */
  kind: string;
  /** Handler runs that ended, successfully or not (replays from the idempotency store and refused requests are not runs). */
  handled: number;
  /** Runs that ended in an error: thrown, timed out or aborted (retryable ones included). */
  errors: number;
  /** Mean handler time over every run, ms. */
  averageMs: number;
  /** 99th percentile of handler time, ms, from a bounded histogram: within 19% above the true value. */
  p99Ms: number;
  /** The last run's failure, if any run failed. */
  lastError?: LastError;
}

/** One instance's answer to `ferry.ping(service)`. */
export interface PingReply {
  instanceId: string;
  host: string;
  pid: number;
  /** From publishing the ping to receiving this answer, ms. */
  roundTripMs: number;
}

/** How long a discovery (`services()`, `ping()`) listens for answers. */
export interface DiscoveryOptions {
  /**
   * How long to collect answers, ms; every listing takes this long, since nobody knows how many
   * instances will answer. Also the request's lifetime: an instance that reads it later ignores
   * it. Default 500 (`defaultDiscoveryWaitMs`).
   */
  waitMs?: number;
}
