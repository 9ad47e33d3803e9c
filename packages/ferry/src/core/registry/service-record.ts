import type { ServiceDefinition } from "../definition.js";
import type { WireError } from "../wire/wire-error.js";
import { LatencySummary } from "./latency-summary.js";
import { definitionHash } from "./schema-hash.js";
import type { MethodReport, ServiceReport } from "./discovery-messages.js";

/** The last failure of a method's handler. */
export interface LastError {
  code: string;
  message: string;
  /** When it happened, epoch ms. */
  at: number;
}

/** What one method of one served service has done so far. */
class MethodRecord {
  handled = 0;
  errors = 0;
  lastError: LastError | undefined;
  readonly latency = new LatencySummary();

  constructor(
    readonly name: string,
    readonly kind: string,
  ) {}
}

/**
 * What a server reports about itself to discovery (`ferry services`): its service, when it
 * started, its schema hash, and per method the handler runs, errors, latency and last error.
 * The server records each handler run with `ran`; discovery reads `report` when asked. Its size
 * is fixed per method, whatever the traffic.
 */
export class ServiceRecord {
  private readonly methods = new Map<string, MethodRecord>();
  readonly schemaHash: string;
  private stopped = false;

  constructor(
    private readonly definition: ServiceDefinition,
    /** The consumer group it serves in. */
    readonly group: string,
    /** Epoch ms. */
    readonly startedAt: number,
    /** Epoch ms now, for a failure's time. */
    private readonly now: () => number,
  ) {
    this.schemaHash = definitionHash(definition);
    for (const method of Object.values(definition.methods)) this.methods.set(method.name, new MethodRecord(method.name, method.kind));
  }

  get service(): string {
    return this.definition.name;
  }

  /** Whether the server still takes requests: a draining or closed one is not listed. */
  get serving(): boolean {
    return !this.stopped;
  }

  /**
   * A handler run of `method` ended, `startedAt` being its `performance.now()` at start; `error`
   * is how it failed (thrown, timed out, aborted), undefined on success.
   */
  ran(method: string, startedAt: number, error: WireError | undefined): void {
    const record = this.methods.get(method);
    if (record === undefined) return;
    record.handled++;
    record.latency.record(performance.now() - startedAt);
    if (error === undefined) return;
    record.errors++;
    record.lastError = { code: error.code, message: error.message, at: this.now() };
  }

  /** The server stopped taking requests (it is draining): discovery no longer lists it. */
  stop(): void {
    this.stopped = true;
  }

  /** What discovery answers about this service; `detail` false leaves the methods out (a ping). */
  report(detail: boolean): ServiceReport {
    const methods: MethodReport[] = [];
    if (detail) {
      for (const record of this.methods.values()) {
        const latency = record.latency.snapshot();
        const method: MethodReport = {
          name: record.name,
          kind: record.kind,
          handled: record.handled,
          errors: record.errors,
          averageMs: latency.averageMs,
          p99Ms: latency.p99Ms,
        };
        if (record.lastError !== undefined) method.lastError = { ...record.lastError };
        methods.push(method);
      }
    }
    return { name: this.definition.name, group: this.group, schemaHash: this.schemaHash, startedAt: this.startedAt, methods };
  }
}
