import { runChain, type ClientInterceptor } from "./interceptors.js";
import { InterceptedCall } from "./outgoing-call.js";

/** An event's facts, as its client's interceptors see them before it is encoded. */
export interface EventPlan {
  service: string;
  method: string;
  callId: string;
  topic: string;
  /** The headers it will carry (inherited ones included): interceptors may add to them. */
  headers: Record<string, string> | undefined;
  /** What the broker dedupes its publish by: its idempotency key, else its call id. */
  messageId: string;
}

/** An `emit` going through its client's interceptors: `kind` "event", one attempt, its publish. */
class InterceptedEvent extends InterceptedCall {
  override get kind(): "event" {
    return "event";
  }
}

/**
 * Runs an event through `interceptors`; the last step calls `publish` with the headers to send
 * (those of the attempt, which a watcher such as tracing may have added to) and resolves once it
 * has. An interceptor that returns without calling `next()` drops the event; one that throws
 * fails the `emit` with its error.
 */
export async function interceptEvent(
  interceptors: readonly ClientInterceptor[],
  plan: EventPlan,
  payload: unknown,
  publish: (headers: Record<string, string> | undefined) => Promise<void>,
): Promise<void> {
  const { service, method, callId, topic, headers } = plan;
  const event = new InterceptedEvent({ service, method, callId, topic, headers, deadline: undefined }, payload);
  await runChain(interceptors, event, async () => {
    const headers = event.sent(1, plan.messageId, Infinity);
    try {
      await publish(headers);
    } catch (error) {
      event.ended(1, error as Error);
      throw error;
    }
    event.ended(1, undefined);
  });
}
