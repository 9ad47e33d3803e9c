/**
 * Entries keyed by id that come and go at the rate of calls while a steady number stay alive:
 * calls waiting for their reply, requests waiting for the broker's answer, deliveries waiting
 * for their ack. Use it instead of a `Map` for exactly that pattern.
 *
 * Why not a `Map`: V8 replaces a Map's hash table as entries are added and removed, and once a
 * table has been promoted to the old generation, every replacement is allocated there too and
 * the table it replaces keeps the entries it had. Those dead tables hold every object they point
 * at through each young-generation GC until the next full GC, so nearly every call's objects
 * were promoted. A null-prototype object (a V8 dictionary) rehashes into the young generation
 * instead. Measured on the TCP client at 64 calls in flight: 18-21% of what it allocated
 * survived each scavenge with Maps, under 1% with this table.
 */
export class LiveTable<K extends string | number, V> {
  private entries = Object.create(null) as Record<K, V | undefined>;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: K): V | undefined {
    return this.entries[key];
  }

  /** Adds or replaces the entry for `key`. */
  set(key: K, value: V): void {
    if (this.entries[key] === undefined) this.count++;
    this.entries[key] = value;
  }

  /** Removes the entry for `key` and returns it, or undefined if there was none. */
  take(key: K): V | undefined {
    const value = this.entries[key];
    if (value === undefined) return undefined;
    delete this.entries[key];
    this.count--;
    return value;
  }

  /** The entries now (a copy: the table may change while the caller goes through it). */
  values(): V[] {
    const values: V[] = [];
    for (const key in this.entries) values.push(this.entries[key]!);
    return values;
  }

  clear(): void {
    this.entries = Object.create(null) as Record<K, V | undefined>;
    this.count = 0;
  }
}
