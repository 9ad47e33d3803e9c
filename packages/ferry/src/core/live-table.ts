/** Slots the window starts with, and the most it grows to. */
const INITIAL_SLOTS = 256;
const MAX_SLOTS = 65_536;

/**
 * Entries keyed by ids that mostly grow (request ids, delivery tags, offsets, correlation
 * numbers) and come and go at the rate of calls while a steady number stay alive: calls waiting
 * for their reply, requests waiting for the broker's answer, deliveries waiting for their ack.
 *
 * The newest ids live in a ring of slots indexed by `id & mask`, the window
 * `(newest - slots, newest]`; an entry the window moves past while it is still alive goes to
 * an overflow `Map`, where only long-lived entries end up. The ring doubles (up to 65,536 slots)
 * when the window moves past a live entry while it is at least half full, so a steady population
 * of any size stays in the ring, while one entry held for long costs a slot in the overflow,
 * not a bigger ring.
 *
 * Why not a `Map` for everything: V8 replaces a Map's hash table as entries are added and
 * removed. What fits every measurement is that once a table has been promoted to the old
 * generation, its replacements are allocated there too, and the tables they replace keep the
 * entries they had: those dead tables hold whatever they point at through every
 * young-generation GC until the next full one. On the TCP client at 64 calls in flight, nearly
 * every call's objects were promoted: 21% of what it allocated survived each scavenge with
 * Maps, under 1% with this table.
 */
export class LiveTable<V> {
  private slots: (V | undefined)[] = new Array<V | undefined>(INITIAL_SLOTS).fill(undefined);
  private mask = INITIAL_SLOTS - 1;
  /** The highest id ever set (-1: none yet): the window is `(newest - slots.length, newest]`. */
  private newest = -1;
  private inRing = 0;
  private readonly overflow = new Map<number, V>();

  /** Entries now. */
  get size(): number {
    return this.inRing + this.overflow.size;
  }

  /** The entry for `id`; undefined for an id never set, taken, or not a safe integer of 0 or more. */
  get(id: number): V | undefined {
    if (!this.holds(id)) return undefined;
    if (id > this.newest - this.slots.length) return this.slots[id & this.mask];
    return this.overflow.get(id);
  }

  /** Adds or replaces the entry for `id`, a safe integer of 0 or more. */
  set(id: number, value: V): void {
    if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`a LiveTable id must be a safe integer of 0 or more, got ${id}`);
    if (id > this.newest) this.advance(id);
    if (id <= this.newest - this.slots.length) {
      this.overflow.set(id, value);
      return;
    }
    const slot = id & this.mask;
    if (this.slots[slot] === undefined) this.inRing++;
    this.slots[slot] = value;
  }

  /** Removes the entry for `id` and returns it, or undefined if there was none. */
  take(id: number): V | undefined {
    if (!this.holds(id)) return undefined;
    if (id <= this.newest - this.slots.length) {
      const value = this.overflow.get(id);
      this.overflow.delete(id);
      return value;
    }
    const slot = id & this.mask;
    const value = this.slots[slot];
    if (value !== undefined) {
      this.slots[slot] = undefined;
      this.inRing--;
    }
    return value;
  }

  /** Every entry, oldest id first (a copy: the table may change while the caller goes through it). */
  values(): V[] {
    const values: V[] = [...this.overflow].sort(([a], [b]) => a - b).map(([, value]) => value);
    for (let id = Math.max(0, this.newest - this.slots.length + 1); id <= this.newest; id++) {
      const value = this.slots[id & this.mask];
      if (value !== undefined) values.push(value);
    }
    return values;
  }

  clear(): void {
    this.slots.fill(undefined);
    this.inRing = 0;
    this.overflow.clear();
  }

  /** Whether `id` could have an entry: a safe integer from 0 to the newest id set. */
  private holds(id: number): boolean {
    return Number.isSafeInteger(id) && id >= 0 && id <= this.newest;
  }

  /** Moves the window up to `id`: live entries it leaves behind go to the overflow, unless the ring grows to keep them. */
  private advance(id: number): void {
    const leaving = Math.min(id - this.newest, this.slots.length);
    const firstLeaving = this.newest - this.slots.length + 1;
    for (let old = firstLeaving; old < firstLeaving + leaving; old++) {
      if (old < 0) continue;
      const value = this.slots[old & this.mask];
      if (value === undefined) continue;
      if (this.inRing * 2 >= this.slots.length && this.slots.length < MAX_SLOTS && id - old < this.slots.length * 2) {
        this.grow();
        return this.advance(id);
      }
      this.slots[old & this.mask] = undefined;
      this.inRing--;
      this.overflow.set(old, value);
    }
    this.newest = id;
  }

  /**
   * Doubles the ring: every entry moves to its slot under the new mask, and overflow entries
   * the wider window now covers come back into the ring.
   */
  private grow(): void {
    const size = this.slots.length * 2;
    const slots = new Array<V | undefined>(size).fill(undefined);
    for (let id = Math.max(0, this.newest - this.slots.length + 1); id <= this.newest; id++) slots[id & (size - 1)] = this.slots[id & this.mask];
    for (const [id, value] of this.overflow) {
      if (id <= this.newest - size) continue;
      slots[id & (size - 1)] = value;
      this.overflow.delete(id);
      this.inRing++;
    }
    this.slots = slots;
    this.mask = size - 1;
  }
}
