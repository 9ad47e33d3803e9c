import type { AttemptWatcher, OutgoingAttempt, OutgoingCall } from "./interceptors.js";
import type { AttemptObserver, CallPlan } from "./pending-call.js";

/** What an intercepted call or stream shares of its plan: a stream's deadline may be undefined (none). */
export type InterceptedPlan = Pick<CallPlan, "service" | "method" | "callId" | "topic" | "headers" | "attempts"> & { deadline: number | undefined };

/**
 * A call going through its client's interceptors: what they see (`OutgoingCall`), and what its
 * `PendingCall` tells about each attempt (`AttemptObserver`). Made only when the runtime has
 * interceptors; a runtime without any sends its plan as it is.
 */
export class InterceptedCall implements OutgoingCall, AttemptObserver {
  get kind(): OutgoingCall["kind"] {
    return "call";
  }
  get items(): number | undefined {
    return undefined;
  }
  readonly headers: Record<string, string>;
  attempt = 0;
  private readonly watchers: AttemptWatcher[] = [];
  private ends: ((error: Error | undefined) => void)[] = [];

  constructor(
    protected readonly plan: InterceptedPlan,
    readonly request: unknown,
  ) {
    // The plan sends this very object: what an interceptor writes into it before `next` is sent.
    this.headers = plan.headers ?? {};
    plan.headers = this.headers;
    plan.attempts = this;
  }

  get service(): string {
    return this.plan.service;
  }

  get method(): string {
    return this.plan.method;
  }

  get deadline(): number {
    return this.plan.deadline ?? Infinity;
  }

  get callId(): string {
    return this.plan.callId;
  }

  get topic(): string {
    return this.plan.topic;
  }

  watchAttempts(watcher: AttemptWatcher): void {
    this.watchers.push(watcher);
  }

  sent(attempt: number, messageId: string, deadline: number): Record<string, string> | undefined {
    this.attempt = attempt;
    // No interceptor added a header: the request carries none, as it would without interceptors.
    if (this.watchers.length === 0) return hasEntries(this.headers) ? this.headers : undefined;
    const info: OutgoingAttempt = { attempt, messageId, topic: this.plan.topic, deadline, headers: { ...this.headers } };
    this.ends = [];
    for (const watcher of this.watchers) {
      const end = watcher(info);
      if (typeof end === "function") this.ends.push(end);
    }
    return hasEntries(info.headers) ? info.headers : undefined;
  }

  ended(_attempt: number, error: Error | undefined): void {
    const ends = this.ends;
    this.ends = [];
    for (const end of ends) end(error);
  }
}

function hasEntries(headers: Record<string, string>): boolean {
  for (const _ in headers) return true;
  return false;
}
