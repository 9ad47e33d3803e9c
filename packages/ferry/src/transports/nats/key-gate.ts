/**
 * One message in flight per key: later messages of a busy key wait here, in arrival order, and
 * are released one by one as the earlier ones settle. Messages without a key never wait.
 */
export class KeyGate<T> {
  private readonly waiting = new Map<string, T[]>();

  /** True when `item` may run now; otherwise it is parked behind the key's running message. */
  enter(key: string, item: T): boolean {
    const queue = this.waiting.get(key);
    if (queue === undefined) {
      this.waiting.set(key, []);
      return true;
    }
    queue.push(item);
    return false;
  }

  /** The running message of `key` settled: the next one of that key, if any, may run. */
  leave(key: string): T | undefined {
    const queue = this.waiting.get(key);
    if (queue === undefined) return undefined;
    const next = queue.shift();
    if (next === undefined) this.waiting.delete(key);
    return next;
  }

  /** Everything parked, for handing back on unsubscribe. */
  drain(): T[] {
    const items = [...this.waiting.values()].flat();
    this.waiting.clear();
    return items;
  }

  get parked(): number {
    let count = 0;
    for (const queue of this.waiting.values()) count += queue.length;
    return count;
  }
}
