/** A message that takes turns with the other messages of its key. */
export interface TurnItem {
  /** Its stream sequence: a key's messages run in this order. */
  readonly seq: number;
  /** Its key's subject: the messages of one line take turns. */
  readonly line: string;
}

/**
 * What the stream says of a message: the earliest of its key that is not done (`head`), behind
 * one that is not done yet (`behind`), or no longer in the stream at all (`gone`: done by another
 * member after a redelivery, or dropped by the topic's overflow policy).
 */
export type TurnCheck = "head" | "behind" | "gone";

/** Where KeyTurns asks and tells. */
export interface TurnHost<T extends TurnItem> {
  /**
   * Compares `item` with the earliest message the stream holds on its line from `fromSeq` on. A
   * rejection counts as `behind`: asked again later.
   */
  check(item: T, fromSeq: number): Promise<TurnCheck>;
  /** It is `item`'s turn: run it. */
  start(item: T): void;
  /** `item` waits for an earlier message of its key (called at least once per wait; may repeat). */
  wait(item: T): void;
  /** `item` must never run: the stream no longer holds it. */
  drop(item: T): void;
}

export interface TurnTiming {
  /** First pause before asking again about a message behind one held elsewhere, ms; it doubles. */
  minRecheckMs: number;
  /** Longest such pause, ms. */
  maxRecheckMs: number;
}

const defaultTiming: TurnTiming = { minRecheckMs: 5, maxRecheckMs: 250 };

/** One key's messages in this member: the one running, and the ones waiting, by stream sequence. */
class Line<T extends TurnItem> {
  readonly waiting: T[] = [];
  running: T | undefined;
  checking: T | undefined;
  /** A nudge came while a check was on its way: its answer may predate what the nudge announced. */
  nudged = false;
  timer: ReturnType<typeof setTimeout> | undefined;
  recheckMs: number;
  /** The highest sequence of this key this member saw done: every earlier message of the key is done too. */
  doneSeq = 0;

  constructor(
    readonly key: string,
    timing: TurnTiming,
  ) {
    this.recheckMs = timing.minRecheckMs;
  }

  /** Puts `item` in sequence order (a second copy of one sequence after the first); returns its index. */
  insert(item: T): number {
    let index = this.waiting.length;
    while (index > 0 && this.waiting[index - 1]!.seq > item.seq) index--;
    this.waiting.splice(index, 0, item);
    return index;
  }
}

/**
 * One message in flight per key, across every member of a group, in stream order, through
 * redeliveries. The stream is the arbiter: a work-queue stream deletes a message once acked, so a
 * message may run when it is the earliest the stream still holds on its key's subject. Then every
 * earlier message of its key is done, and no later one can pass it, in this member or any other.
 *
 * Inside a member, a key's messages wait in sequence order behind the one running; only the first
 * one asks the stream. A redelivered earlier message that arrives late goes ahead of them. When
 * the first one is behind a message held elsewhere (running in another member, or waiting for its
 * redelivery), it asks again when told that a message of its key was done (`nudge`), or else after
 * a pause that doubles from `minRecheckMs` to `maxRecheckMs`.
 */
export class KeyTurns<T extends TurnItem> {
  private readonly lines = new Map<string, Line<T>>();
  private closed = false;

  constructor(
    private readonly host: TurnHost<T>,
    private readonly timing: TurnTiming = defaultTiming,
  ) {}

  /** A message of a key arrived (a first delivery or a redelivery). */
  arrive(item: T): void {
    if (this.closed) return;
    let line = this.lines.get(item.line);
    if (line === undefined) {
      line = new Line(item.line, this.timing);
      this.lines.set(item.line, line);
    }
    if (line.insert(item) > 0) return this.host.wait(item);
    // Ahead of the one that was first: that one waits, and the newcomer asks at once (or, if
    // one of the key is running, waits for it first).
    const displaced = line.waiting[1];
    if (displaced !== undefined) this.host.wait(displaced);
    if (line.running !== undefined) return this.host.wait(item);
    this.clearTimer(line);
    this.advance(line);
  }

  /**
   * The running message of its key is settled: `done` when the stream is known to have deleted
   * it (acked and confirmed), otherwise (nacked, or the ack unconfirmed) it may come back.
   */
  settled(item: T, done: boolean): void {
    const line = this.lines.get(item.line);
    if (line === undefined || line.running !== item) return;
    line.running = undefined;
    if (done) line.doneSeq = Math.max(line.doneSeq, item.seq);
    line.recheckMs = this.timing.minRecheckMs;
    this.advance(line);
  }

  /** A message of `line` was done elsewhere: the first one waiting here asks the stream now, not at its next poll. */
  nudge(line: string): void {
    const found = this.lines.get(line);
    if (found === undefined) return;
    if (found.checking !== undefined) found.nudged = true;
    if (found.timer === undefined) return;
    this.clearTimer(found);
    found.recheckMs = this.timing.minRecheckMs;
    this.advance(found);
  }

  /** The message that will ask for the turn after `item`, if this member holds one. */
  next(item: T): T | undefined {
    return this.lines.get(item.line)?.waiting[0];
  }

  /** Stops: returns every message waiting (none of them started), for handing back. */
  close(): T[] {
    this.closed = true;
    const waiting: T[] = [];
    for (const line of this.lines.values()) {
      this.clearTimer(line);
      waiting.push(...line.waiting);
    }
    this.lines.clear();
    return waiting;
  }

  private advance(line: Line<T>): void {
    if (this.closed || line.running !== undefined || line.checking !== undefined || line.timer !== undefined) return;
    const first = line.waiting[0];
    if (first === undefined) {
      this.lines.delete(line.key);
      return;
    }
    line.checking = first;
    line.nudged = false;
    // Only messages after the last one seen done can still be ahead of it.
    this.host
      .check(first, line.doneSeq + 1)
      .catch((): TurnCheck => "behind")
      .then((result) => this.checked(line, first, result));
  }

  private checked(line: Line<T>, item: T, result: TurnCheck): void {
    line.checking = undefined;
    if (this.closed) return;
    // An earlier message arrived meanwhile: it asks now, and this one waits behind it.
    if (line.waiting[0] !== item) return this.advance(line);
    if (result === "head") {
      line.waiting.shift();
      line.running = item;
      line.recheckMs = this.timing.minRecheckMs;
      return this.host.start(item);
    }
    if (result === "gone") {
      line.waiting.shift();
      this.host.drop(item);
      return this.advance(line);
    }
    this.host.wait(item);
    if (line.nudged) {
      // What it was behind may be done by now: ask again at once.
      line.recheckMs = this.timing.minRecheckMs;
      return this.advance(line);
    }
    line.timer = setTimeout(() => {
      line.timer = undefined;
      this.advance(line);
    }, line.recheckMs);
    line.recheckMs = Math.min(this.timing.maxRecheckMs, line.recheckMs * 2);
  }

  private clearTimer(line: Line<T>): void {
    if (line.timer === undefined) return;
    clearTimeout(line.timer);
    line.timer = undefined;
  }
}
