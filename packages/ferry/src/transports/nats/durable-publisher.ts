import type { JetStreamClient, MsgHdrs } from "nats";
import type { Clock } from "../../core/clock.js";
import { ClosedError, NoRespondersError, PayloadTooLargeError, QueueFullError, UnavailableError } from "../../core/errors.js";

/**
 * Publishes to a JetStream stream and resolves on its PubAck: the message is then stored (on R3,
 * by a majority of the replicas). A publish that meets a leader election, a reconnect or a lost
 * PubAck is resent with the same `Nats-Msg-Id` until `retryMs` has passed: the stream drops the
 * copy it already holds, so resending never duplicates. A closed connection ends the retries at
 * once with `CLOSED`: nothing will send them any more. `clock` measures `retryMs`.
 */
export async function publishDurable(
  js: JetStreamClient,
  subject: string,
  topic: string,
  bytes: Uint8Array,
  headers: MsgHdrs | undefined,
  msgID: string | undefined,
  retryMs: number,
  clock: Clock,
): Promise<void> {
  const giveUpAt = clock.now() + retryMs;
  let delayMs = 25;
  for (;;) {
    try {
      await js.publish(subject, bytes, { ...(headers === undefined ? {} : { headers }), ...(msgID === undefined ? {} : { msgID }), timeout: Math.min(5_000, retryMs) });
      return;
    } catch (error) {
      if ((error as { code?: string }).code === "CONNECTION_CLOSED") throw new ClosedError(`nats: the connection is closed; ${topic} was not published`, { cause: error });
      const apiError = (error as { api_error?: { description?: string } }).api_error;
      const text = apiError?.description ?? String(error);
      if (/maximum messages|maximum bytes|discard new/i.test(text)) throw new QueueFullError(`${topic} is full: ${text}`, { cause: error });
      if (/message size exceeds|max_payload|maximum payload/i.test(text)) throw new PayloadTooLargeError(`${topic}: ${text}`, { cause: error });
      if (clock.now() + delayMs >= giveUpAt) {
        if (apiError === undefined && /503|no responders/i.test(text)) throw new NoRespondersError(`no consumer is subscribed to ${topic}`, { cause: error });
        throw new UnavailableError(`publishing to ${topic} failed: ${text}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 500);
    }
  }
}

/**
 * Bounds the durable publishes awaiting their PubAck (default 1,024): the rest wait here, in
 * order. Without it, 100,000 publishes at once all start their PubAck timeouts together and a
 * busy server times most of them out.
 */
export class PublishWindow {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size = 1_024) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
    try {
      return await task();
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }
}
