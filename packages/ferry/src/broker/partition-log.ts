import { Deque } from "./deque.js";

/** A message as a partition stores it. */
export interface StoredMessage {
  readonly offset: number;
  readonly bytes: Uint8Array;
  readonly key: string | undefined;
  readonly expiresAt: number | undefined;
  /** A record lost to disk damage: its offset exists, its message is never served. */
  readonly lost?: true;
  /** Deleted by `remove` (a `lost` placeholder too): not counted in the partition's depth. */
  readonly removed?: true;
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
  /** Placeholders left by `remove` still in the log. */
  private holes = 0;

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

  /** Messages held: `length` without the placeholders `remove` left. */
  get depth(): number {
    return this.messages.length - this.holes;
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
    while (this.startOffset < offset && this.messages.length > 0) this.shift();
  }

  dropOldest(): void {
    if (this.messages.length === 0) return;
    this.shift();
    this.dropped++;
  }

  /**
   * Deletes the message at `offset`: a `lost` placeholder takes its place, so offsets stay put and
   * every consumer group skips it as it skips a record lost to disk damage. Placeholders at the
   * head are dropped at once. False when there is no message there to delete.
   */
  remove(offset: number): boolean {
    const message = this.get(offset);
    if (message === undefined || message.lost) return false;
    this.messages.set(offset - this.startOffset, { offset, bytes: new Uint8Array(0), key: undefined, expiresAt: undefined, lost: true, removed: true });
    this.holes++;
    while (this.messages.at(0)?.removed === true) this.shift();
    return true;
  }

  private shift(): void {
    if (this.messages.shift()?.removed === true) this.holes--;
    this.startOffset++;
  }
}
