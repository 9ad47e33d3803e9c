import type { NatsConnection, Subscription } from "nats";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Tells every member of a durable topic that a message of a key is done (acked, confirmed), so a
 * member holding the key's next message asks the stream at once instead of at its next poll. A
 * lost notice costs only that poll: the stream, not the notice, decides whose turn it is.
 *
 * One core NATS subject per topic, `<prefix>._turn.<topic>`, outside the topic's stream; the
 * notice carries the key's subject.
 */
export class TurnNotices {
  private readonly subscription: Subscription;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subject: string,
    onNotice: (line: string) => void,
  ) {
    this.subscription = nc.subscribe(subject, { callback: (error, msg) => error === null && onNotice(decoder.decode(msg.data)) });
  }

  announce(line: string): void {
    if (this.nc.isClosed() || this.nc.isDraining()) return;
    try {
      this.nc.publish(this.subject, encoder.encode(line));
    } catch {
      // The connection is going: the members' polls find the turn.
    }
  }

  close(): void {
    if (!this.subscription.isClosed()) this.subscription.unsubscribe();
  }
}
