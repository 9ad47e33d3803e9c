import { decodeDeadLetter, decodeEnvelope, decodeValue, serviceTopic, type Delivery, type Ferry, type Subscription } from "../../../packages/ferry/src/index.js";

/** A dead letter, decoded down to the request that could not be handled. */
export interface ReadDeadLetter {
  origin: { topic: string; partition: number; offset: number };
  service: string | undefined;
  method: string | undefined;
  request: unknown;
  /** Deliveries made before the broker gave up. */
  deliveries: number;
  error: { code: string; message: string };
}

/** Reads a service's dead-letter topic (`svc.<Service>.dlq`) as a consumer group of its own. */
export class DeadLetterInbox {
  readonly letters: ReadDeadLetter[] = [];
  private subscription: Subscription | undefined;

  private constructor(readonly topic: string) {}

  static async open(ferry: Ferry, service: string): Promise<DeadLetterInbox> {
    const inbox = new DeadLetterInbox(`${serviceTopic(service)}.dlq`);
    inbox.subscription = await ferry.transport.consume(inbox.topic, "shop-launcher", (delivery) => inbox.receive(delivery));
    return inbox;
  }

  private receive(delivery: Delivery): void {
    const letter = decodeDeadLetter(delivery.bytes);
    const envelope = decodeEnvelope(letter.bytes);
    this.letters.push({
      origin: letter.origin,
      service: envelope.service,
      method: envelope.method,
      request: envelope.body === undefined ? undefined : decodeValue(envelope.body),
      deliveries: letter.deliveryCount,
      error: letter.error,
    });
    delivery.ack();
  }

  async close(): Promise<void> {
    await this.subscription?.unsubscribe();
  }
}
