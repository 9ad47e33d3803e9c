import { deadLetterTopic, readDeadLetter, type DeadLetterRecord, type Delivery, type Ferry, type Subscription } from "../../../packages/ferry/src/index.js";

/** Reads a service's dead-letter topic (`svc.<Service>.dlq`) as a consumer group of its own. */
export class DeadLetterInbox {
  readonly letters: DeadLetterRecord[] = [];
  private subscription: Subscription | undefined;

  private constructor(readonly topic: string) {}

  static async open(ferry: Ferry, service: string): Promise<DeadLetterInbox> {
    const inbox = new DeadLetterInbox(deadLetterTopic(service));
    inbox.subscription = await ferry.transport.consume(inbox.topic, "shop-launcher", (delivery) => inbox.receive(delivery));
    return inbox;
  }

  private receive(delivery: Delivery): void {
    this.letters.push(readDeadLetter(delivery.bytes));
    delivery.ack();
  }

  async close(): Promise<void> {
    await this.subscription?.unsubscribe();
  }
}
