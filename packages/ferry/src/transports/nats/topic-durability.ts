import type { Clock } from "../../core/clock.js";

/** How long a topic found not durable is trusted before asking JetStream again, ms. */
export const recheckDurableMs = 5_000;

interface Known {
  durable: boolean | undefined;
  answer: Promise<boolean>;
  checkedAt: number;
}

/**
 * What a transport knows of each topic it published to or consumed: durable (it has a stream) for
 * good, or core until the answer is `recheckDurableMs` old, since a durable server may declare the
 * topic's stream later. Asked only for publishes that leave durability to the topic.
 */
export class TopicDurability {
  private readonly known = new Map<string, Known>();

  /** `hasStream(topic)` asks JetStream; a rejection (JetStream is not enabled) means core. `clock` dates the answers. */
  constructor(
    private readonly hasStream: (topic: string) => Promise<boolean>,
    private readonly clock: Clock,
  ) {}

  /** Whether `topic` was found not durable recently enough to publish to it without asking again. */
  knownCore(topic: string): boolean {
    const known = this.known.get(topic);
    return known?.durable === false && this.clock.now() - known.checkedAt < recheckDurableMs;
  }

  /** Whether `topic` is known to have a stream, without asking. */
  knownDurable(topic: string): boolean {
    return this.known.get(topic)?.durable === true;
  }

  /** `topic` has a stream: durable for good. */
  markDurable(topic: string): void {
    if (this.known.get(topic)?.durable !== true) this.known.set(topic, { durable: true, answer: Promise.resolve(true), checkedAt: this.clock.now() });
  }

  /** Whether `topic` has a stream, from what is known or else from JetStream. */
  isDurable(topic: string): Promise<boolean> {
    const known = this.known.get(topic);
    if (known !== undefined && (known.durable === true || this.clock.now() - known.checkedAt < recheckDurableMs)) return known.answer;
    const answer = this.hasStream(topic).catch(() => false);
    const entry: Known = { durable: known?.durable, answer, checkedAt: this.clock.now() };
    this.known.set(topic, entry);
    void answer.then((durable) => {
      entry.durable = durable;
      entry.checkedAt = this.clock.now();
    });
    return answer;
  }
}
