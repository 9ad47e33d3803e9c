/**
 * The items a stream received and its consumer has not taken yet: at most a window, first in
 * first out. An array with a moving head: `Array.shift` copies the rest of the array on every
 * item, which a window of 1,024 makes a thousand moves per item.
 */
export class ItemQueue<Item> {
  private items: Item[] = [];
  private head = 0;

  get isEmpty(): boolean {
    return this.head === this.items.length;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: Item): void {
    this.items.push(item);
  }

  /** The oldest item; the caller checks `isEmpty` first. */
  shift(): Item {
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as Item;
    // Drop the taken prefix once it is the larger part, so the array stays about a window long.
    if (this.head > 32 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
