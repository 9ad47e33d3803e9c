import type { JsMsg } from "nats";
import { ErrorCode } from "../../core/errors.js";
import type { Delivery } from "../../core/transport.js";
import type { DurableTopic } from "./durable-topics.js";
import type { TurnItem } from "./key-turns.js";

/** What a delivery tells the member that pulled it. */
export interface DurableDeliveryHost {
  readonly topic: DurableTopic;
  /** The delivery's ack or nak is on its way to JetStream (a dead letter: stored): its credit is free. */
  released(delivery: DurableDelivery): void;
  /** `done`: JetStream confirmed the message acked, so the stream no longer holds it. */
  finished(delivery: DurableDelivery, done: boolean): void;
  /** Stores a dead letter, then acks; resolves true once acked (see `DurableDelivery.acknowledge`). */
  deadLetter(delivery: DurableDelivery, error: { code: string; message: string }): Promise<boolean>;
}

/** A JetStream message handed to a handler: acks, naks and terms are JetStream's own. */
export class DurableDelivery implements Delivery, TurnItem {
  private done = false;
  /** It holds one credit of its member's prefetch: from the pull that brought it, or taken back for its turn. */
  credited = true;

  constructor(
    private readonly host: DurableDeliveryHost,
    readonly msg: JsMsg,
    readonly partition: number,
    readonly key: string | undefined,
    /** It takes turns with the other messages of its key (a keyed lane of an ordered group). */
    readonly takesTurns: boolean,
  ) {}

  get bytes(): Uint8Array {
    return this.msg.data;
  }

  get topic(): string {
    return this.host.topic.topic;
  }

  get offset(): number {
    return this.msg.seq;
  }

  get seq(): number {
    return this.msg.seq;
  }

  /** Its key's subject: the messages of one key take turns. */
  get line(): string {
    return this.msg.subject;
  }

  get deliveryCount(): number {
    return this.msg.info.redeliveryCount;
  }

  get maxDeliveries(): number {
    return this.host.topic.maxDeliveries;
  }

  /** Marks it settled; false if it already was. */
  settle(): boolean {
    if (this.done) return false;
    this.done = true;
    return true;
  }

  ack(): void {
    if (!this.settle()) return;
    const acked = this.acknowledge();
    this.host.released(this);
    void acked.then((done) => this.host.finished(this, done));
  }

  /**
   * Acks. A message taking turns waits for JetStream to confirm it (true): only then is the stream
   * sure to have deleted it, and the next message of its key may ask whether it is first.
   */
  acknowledge(): Promise<boolean> {
    if (!this.takesTurns) {
      this.msg.ack();
      return Promise.resolve(true);
    }
    return this.msg.ackAck().catch(() => false);
  }

  nack(options: { delayMs?: number; error?: { code: string; message: string } } = {}): void {
    if (!this.settle()) return;
    if (this.deliveryCount >= this.maxDeliveries) return this.deadLettered(options.error ?? { code: ErrorCode.Nacked, message: "nacked on its last allowed delivery" });
    this.msg.nak(options.delayMs ?? 0);
    this.host.released(this);
    // Still in the stream: its redelivery runs before any later message of its key.
    this.host.finished(this, false);
  }

  reject(error: { code: string; message: string }): void {
    if (!this.settle()) return;
    this.deadLettered(error);
  }

  private deadLettered(error: { code: string; message: string }): void {
    void this.host.deadLetter(this, error).then((done) => {
      this.host.released(this);
      this.host.finished(this, done);
    });
  }
}
