import type { Clock } from "./clock.js";

/** Something waiting for a moment: a call's attempt timeout, its backoff, or its wait for a late start. */
export interface Timed {
  /** When it is due, epoch ms (set by `CallTimers.schedule`). */
  dueAt: number;
  /** Its place in the queue, -1 when not queued, and the order it was queued in. Only `CallTimers` writes them. */
  queueIndex: number;
  queueOrder: number;
  /** Called once when `dueAt` has passed, unless cancelled first. */
  fire(): void;
}

/**
 * The timers of every call of one client, on one clock timer: a min-heap by due time, and a
 * single `clock.setTimeout` for the earliest. A call costs no timer object of its own, and a call
 * settled before its timeout costs a heap removal, not a `clearTimeout`.
 *
 * Items due at the same moment fire in the order they were scheduled.
 *
 * The clock timer is moved earlier when a sooner item arrives, but not later when the soonest
 * one is cancelled: it then fires early, finds nothing due and is set again for the new
 * soonest. Once the queue is empty it is cleared, so an idle client holds no timer.
 */
export class CallTimers {
  private readonly heap: Timed[] = [];
  private timer: unknown;
  /** When the clock timer fires (meaningful while `timer` is set). */
  private timerAt = 0;
  private scheduled = 0;

  constructor(private readonly clock: Clock) {}

  /** Items waiting. */
  get size(): number {
    return this.heap.length;
  }

  /** Queues `item` to fire `delayMs` after `now` (it must not be queued already). */
  schedule(item: Timed, delayMs: number, now = this.clock.now()): void {
    item.dueAt = now + delayMs;
    item.queueOrder = ++this.scheduled;
    item.queueIndex = this.heap.length;
    this.heap.push(item);
    this.siftUp(item.queueIndex);
    if (this.timer === undefined || item.dueAt < this.timerAt) this.arm(item.dueAt, now);
  }

  /** Takes `item` out of the queue; nothing if it is not queued. */
  cancel(item: Timed): void {
    const index = item.queueIndex;
    if (index < 0) return;
    item.queueIndex = -1;
    const last = this.heap.pop()!;
    if (last !== item) {
      this.heap[index] = last;
      last.queueIndex = index;
      this.siftDown(index);
      this.siftUp(last.queueIndex);
    }
    if (this.heap.length === 0) this.disarm();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    // The timer firing means `timerAt` has passed, even if the wall clock was set back meanwhile.
    const now = Math.max(this.timerAt, this.clock.now());
    // An item may schedule another (a retry's backoff): it joins the heap and waits its turn.
    while (this.heap.length > 0 && this.heap[0]!.dueAt <= now) {
      const item = this.heap[0]!;
      this.cancel(item);
      item.fire();
    }
    if (this.heap.length > 0 && this.timer === undefined) this.arm(this.heap[0]!.dueAt, now);
  };

  private arm(at: number, now = this.clock.now()): void {
    this.disarm();
    this.timerAt = at;
    this.timer = this.clock.setTimeout(this.onTimer, Math.max(0, at - now));
  }

  private disarm(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const item = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!sooner(item, parent)) break;
      heap[index] = parent;
      parent.queueIndex = index;
      index = parentIndex;
    }
    heap[index] = item;
    item.queueIndex = index;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const item = heap[index]!;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= heap.length) break;
      if (child + 1 < heap.length && sooner(heap[child + 1]!, heap[child]!)) child++;
      const smaller = heap[child]!;
      if (!sooner(smaller, item)) break;
      heap[index] = smaller;
      smaller.queueIndex = index;
      index = child;
    }
    heap[index] = item;
    item.queueIndex = index;
  }
}

function sooner(a: Timed, b: Timed): boolean {
  return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.queueOrder < b.queueOrder);
}
