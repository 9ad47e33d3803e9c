import { createInbox, type MsgHdrs, type NatsConnection, type PublishOptions, type Subscription as NatsSubscription } from "nats";
import { ClosedError, NoRespondersError, UnconfirmedError } from "../../core/errors.js";

/**
 * Core NATS publishes with a confirm. Core NATS acknowledges nothing, so `publish` resolves after
 * a PING/PONG round trip (`flush`): the server has then processed the message. One flush covers
 * every publish made in the same tick, so 64 calls in flight cost one round trip, not 64.
 *
 * `requireConsumer` sends the message with a reply subject under one muxed probe inbox: NATS then
 * answers a message nobody subscribes to with a 503 status, which arrives before the PONG.
 *
 * A `lazy` publish (a request, whose reply is what its caller waits for) shares a flush sent
 * `lazyConfirmMs` later instead: no PING/PONG round trip per tick, so the client and the server
 * are not woken for it between a request and its reply. A missing consumer is still reported,
 * that much later.
 */
export class CorePublisher {
  private readonly inbox = createInbox();
  /** Probe ids NATS answered with 503 (no responders); each is taken by its publish once flushed. */
  private readonly unanswered = new Set<number>();
  private readonly subscription: NatsSubscription;
  private nextProbe = 0;
  private batch: Promise<void> | undefined;
  private lazyBatch: Promise<void> | undefined;
  /** Requests waiting for the next lazy flush, to hear of a failure: no promise each. */
  private waiting: WaitingRequest[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly lazyConfirmMs: number,
  ) {
    const prefixLength = this.inbox.length + 1;
    this.subscription = nc.subscribe(`${this.inbox}.*`, {
      callback: (error, msg) => {
        if (error !== null || msg.headers?.code !== 503) return;
        this.unanswered.add(Number(msg.subject.slice(prefixLength)));
      },
    });
  }

  publish(subject: string, topic: string, bytes: Uint8Array, headers: MsgHdrs | undefined, requireConsumer: boolean, lazy: boolean): Promise<void> {
    // Published before a flush is joined: a publish that throws (closed connection) leaves no flush unwatched.
    const id = requireConsumer ? this.nextProbe++ : -1;
    const refused = this.send(subject, bytes, this.messageOptions(id, headers));
    if (refused !== undefined) return Promise.reject(refused);
    const flushed = lazy ? this.lazyFlushed() : this.flushed();
    if (!requireConsumer) return flushed;
    // The 503 for a message nobody took arrives before the PONG that settles `flushed`.
    return flushed.then(
      () => {
        if (this.unanswered.delete(id)) throw NoRespondersError.forTopic(topic);
      },
      (error: unknown) => {
        this.unanswered.delete(id);
        throw error;
      },
    );
  }

  /**
   * A lazy publish that reports only a failure, to `failed` (never synchronously): a request
   * costs an entry in the next lazy flush's list instead of a promise.
   */
  publishRequest(subject: string, topic: string, bytes: Uint8Array, headers: MsgHdrs | undefined, requireConsumer: boolean, failed: (error: Error) => void): void {
    const probe = requireConsumer ? this.nextProbe++ : -1;
    const refused = this.send(subject, bytes, this.messageOptions(probe, headers));
    if (refused !== undefined) return process.nextTick(failed, refused);
    this.waiting.push({ probe, topic, failed });
    // One handler per flush, not per request: a failure reaches every waiting request.
    if (this.lazyBatch === undefined) this.lazyFlushed().catch(() => undefined);
  }

  /** A lazy flush is over: fail the requests NATS had no responder for, or all of them with `error`. */
  private settleWaiting(waiting: WaitingRequest[], error: Error | undefined): void {
    for (const request of waiting) {
      const unanswered = request.probe >= 0 && this.unanswered.delete(request.probe);
      if (error !== undefined) request.failed(error);
      else if (unanswered) request.failed(NoRespondersError.forTopic(request.topic));
    }
  }

  /** A message's options: its headers, and with a probe id (0 or more), the reply subject NATS answers 503 on. */
  private messageOptions(probe: number, headers: MsgHdrs | undefined): PublishOptions | undefined {
    if (probe < 0) return headers === undefined ? undefined : { headers };
    const reply = `${this.inbox}.${probe}`;
    return headers === undefined ? { reply } : { reply, headers };
  }

  /** Hands the message to nats.js; the error if it refuses (it throws once the connection is closed or draining). */
  private send(subject: string, bytes: Uint8Array, options: PublishOptions | undefined): ClosedError | undefined {
    try {
      this.nc.publish(subject, bytes, options);
      return undefined;
    } catch (error) {
      return new ClosedError(`nats: the connection does not take messages: ${(error as Error).message}`, { cause: error });
    }
  }

  /** One flush for everything published before it is sent. */
  private flushed(): Promise<void> {
    this.batch ??= Promise.resolve().then(() => {
      this.batch = undefined;
      return this.confirm();
    });
    return this.batch;
  }

  /** One flush, `lazyConfirmMs` from the first lazy publish, for every lazy publish until then. */
  private lazyFlushed(): Promise<void> {
    this.lazyBatch ??= new Promise((resolve) => setTimeout(resolve, this.lazyConfirmMs)).then(() => {
      this.lazyBatch = undefined;
      // The flush confirms exactly the requests published before its PING.
      const waiting = this.waiting;
      this.waiting = [];
      const confirmed = this.confirm();
      if (waiting.length > 0) confirmed.then(() => this.settleWaiting(waiting, undefined), (error: Error) => this.settleWaiting(waiting, error));
      return confirmed;
    });
    return this.lazyBatch;
  }

  /**
   * The PING/PONG that confirms what was published before it. A drop in between leaves those
   * publishes unconfirmed (the server may have them: calls keep waiting for their reply, or retry).
   */
  private async confirm(): Promise<void> {
    try {
      await this.nc.flush();
    } catch (error) {
      if (this.nc.isClosed()) throw new ClosedError("nats: the connection is closed", { cause: error });
      throw new UnconfirmedError(`nats: the connection dropped before the server confirmed: ${(error as Error).message}`, { cause: error });
    }
  }

  close(): void {
    if (!this.subscription.isClosed()) this.subscription.unsubscribe();
  }
}

interface WaitingRequest {
  /** Its probe id, or -1 when it did not ask for a consumer. */
  probe: number;
  topic: string;
  failed: (error: Error) => void;
}
