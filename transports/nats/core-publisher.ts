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
    if (!requireConsumer) {
      const refused = this.send(subject, bytes, headers === undefined ? undefined : { headers });
      if (refused !== undefined) return Promise.reject(refused);
      return lazy ? this.lazyFlushed() : this.flushed();
    }
    const id = this.nextProbe++;
    const reply = `${this.inbox}.${id}`;
    const refused = this.send(subject, bytes, headers === undefined ? { reply } : { reply, headers });
    if (refused !== undefined) return Promise.reject(refused);
    const flushed = lazy ? this.lazyFlushed() : this.flushed();
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
      return this.confirm();
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
