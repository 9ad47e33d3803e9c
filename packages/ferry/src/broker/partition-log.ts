import { Deque } from "./deque.js";

/** A message as a partition stores it. */
export interface StoredMessage {
  readonly offset: number;
  readonly bytes: Uint8Array;
  readonly key: string | undefined;
  readonly expiresAt: number | undefined;
  /** A record lost to disk damage: its offset exists, its message is never served. */
  readonly lost?: true;
}

/**
 * The messages of one partition, addressed by offset. It keeps a message until every consumer
 * group has settled it (`trimTo`), or until `dropOldest` makes room for a newer one.
 */
export class PartitionLog {
  private readonly messages = new Deque<StoredMessage>();
  /** Offset of the oldest retained message. */
  private startOffset = 0;
  published = 0;
  dropped = 0;

  get start(): number {
    return this.startOffset;
  }

  /** Offset the next appended message gets. */
  get end(): number {
    return this.startOffset + this.messages.length;
  }

  get length(): number {
    return this.messages.length;
  }

  append(bytes: Uint8Array, key: string | undefined, expiresAt: number | undefined): StoredMessage {
    const message: StoredMessage = { offset: this.end, bytes, key, expiresAt };
    this.messages.push(message);
    this.published++;
    return message;
  }

  /**
   * Loads messages read back from disk. `nextOffset` is where appending resumes; an offset
   * missing between two recovered messages (a damaged record) becomes a `lost` placeholder.
   */
  restore(messages: readonly { offset: number; key: string | undefined; expiresAt: number | undefined; bytes: Uint8Array }[], nextOffset: number): void {
    this.startOffset = messages[0]?.offset ?? nextOffset;
    for (const message of messages) {
      while (this.end < message.offset) this.messages.push({ offset: this.end, bytes: new Uint8Array(0), key: undefined, expiresAt: undefined, lost: true });
      this.messages.push({ offset: message.offset, bytes: message.bytes, key: message.key, expiresAt: message.expiresAt });
    }
  }

  /** The message at `offset`, or undefined once trimmed or not yet written. */
  get(offset: number): StoredMessage | undefined {
    return this.messages.at(offset - this.startOffset);
  }

  /** Forgets every message below `offset`. */
  trimTo(offset: number): void {
    while (this.startOffset < offset && this.messages.length > 0) {
      this.messages.shift();
      this.startOffset++;
    }
  }

  dropOldest(): void {
    if (this.messages.length === 0) return;
    this.messages.shift();
    this.startOffset++;
    this.dropped++;
  }
}
