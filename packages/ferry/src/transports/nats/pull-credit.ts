/** A pull request's lifetime when no lane is short of credit, ms: idle lanes re-ask rarely. */
export const longPullMs = 30_000;

/** A pull request's lifetime when credit is short, ms (the least nats.js allows): lanes take turns quickly. */
export const shortPullMs = 1_000;

/** One JetStream consumer pulled from, as the credit sees it. */
export interface CreditLane {
  /** Most messages one pull of this lane may ask for: its share is useless beyond the consumer's `max_ack_pending`. */
  readonly cap: number;
  /** Messages its open pull request asked for that have not arrived yet. */
  reserved: number;
}

/** What a lane may ask JetStream for now. */
export interface PullGrant {
  count: number;
  expiresMs: number;
}

/**
 * The consumer's `prefetch`, as credit: a message costs one credit from the moment a pull request
 * asks for it until JetStream has its ack or nak, so at most `limit` messages are ever delivered
 * and unsettled (or on their way) at once. Nothing pulled waits for a free slot, so no ack timer
 * runs on a message whose handler has not started.
 *
 * An open pull request holds its unfilled credit until it fills or expires (JetStream cannot shrink
 * it). With at least one credit per lane, every lane keeps a request open: a grant leaves one credit
 * for each other lane without a request. With fewer credits than lanes (`scarce`), only lanes known
 * to have messages ask, in arrival order, with short requests.
 */
export class PullCredit {
  private used = 0;
  private readonly waiting: { lane: CreditLane; most: number; grant: (grant: PullGrant | undefined) => void }[] = [];
  private closed = false;
  /** Messages pulled and waiting for their key's turn, holding no credit (see `setTurnsWaiting`). */
  private turnsWaiting = 0;

  constructor(
    readonly limit: number,
    private readonly lanes: readonly CreditLane[],
  ) {}

  /** Fewer credits than lanes: lanes cannot all keep a pull request open. */
  get scarce(): boolean {
    return this.limit < this.lanes.length;
  }

  /** Credit in use: messages asked for, delivered and not yet settled. */
  get inUse(): number {
    return this.used;
  }

  /** Resolves when `lane` may pull (at most `most` messages), its grant reserved; undefined once closed. */
  take(lane: CreditLane, most = Number.POSITIVE_INFINITY): Promise<PullGrant | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((grant) => {
      this.waiting.push({ lane, most, grant });
      this.grant();
    });
  }

  /**
   * One credit for a message already pulled, which gave its credit back while it waited for its
   * key's turn and now runs: taken at once, even past `limit` (credit an unfilled pull request
   * holds cannot be taken back). Until enough is released, no new pull request is granted.
   */
  borrow(): void {
    this.used++;
  }

  /**
   * How many pulled messages wait for their key's turn, holding no credit. While any wait, pull
   * requests are short, and a grant leaves up to that many credits (at most half of them) free
   * beyond the one each lane keeps, so a message whose turn comes seldom needs to `borrow`. Every
   * lane still keeps a request open: the earlier message a waiting one needs may have to be pulled
   * again, on any lane.
   */
  setTurnsWaiting(count: number): void {
    this.turnsWaiting = count;
    this.grant();
  }

  /** `count` credits come back: messages settled, or a pull request ended short of its batch. */
  release(count: number): void {
    if (count <= 0) return;
    this.used -= count;
    this.grant();
  }

  close(): void {
    this.closed = true;
    for (const { grant } of this.waiting.splice(0)) grant(undefined);
  }

  private grant(): void {
    // Kept for messages whose turn comes: out of large grants, never out of a lane's one credit.
    const kept = Math.min(this.turnsWaiting, Math.floor(this.limit / 2));
    while (this.waiting.length > 0 && this.used < this.limit) {
      const { lane, most, grant } = this.waiting.shift()!;
      const free = this.limit - this.used;
      const others = this.scarce ? this.waiting.length : this.lanes.filter((other) => other !== lane && other.reserved === 0).length;
      const count = Math.max(1, Math.min(lane.cap, most, free - others - kept));
      this.used += count;
      lane.reserved = count;
      // A lane left without credit waits for this request to end: keep it short.
      grant({ count, expiresMs: this.scarce || free - count < others || this.turnsWaiting > 0 ? shortPullMs : longPullMs });
    }
  }
}
