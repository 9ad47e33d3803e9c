import { decodeEnvelope, MessageKind, type Envelope } from "./wire/envelope.js";
import type { DecodeLimits } from "./wire/codec.js";
import { LiveTable } from "./live-table.js";

/**
 * The correlation id of a client's `count`th call: the count in base 36 (a decimal `toString`
 * would go through V8's number-to-string cache, which keeps the string alive past the call).
 * The router reads it back as the call's key in its `LiveTable`.
 */
export function correlationIdOf(count: number): string {
  return count.toString(36);
}

function countOf(correlationId: string): number {
  return parseInt(correlationId, 36);
}

/** A message a server sends a stream's caller. */
function isStreamAnswer(kind: MessageKind): boolean {
  return kind === MessageKind.StreamItem || kind === MessageKind.StreamItems || kind === MessageKind.StreamEnd || kind === MessageKind.Heartbeat;
}

/** Something waiting for messages addressed to one correlation id. */
export interface ReplyTarget {
  onMessage(envelope: Envelope): void;
}

export interface ReplyRouterStats {
  /** Calls registered and not yet removed. */
  pending: number;
  /** Replies for no pending call: late (after a timeout or cancel) or duplicated. */
  unknown: number;
  /** Messages on the reply queue that failed to decode. */
  malformed: number;
}

/**
 * Routes everything arriving on a client's one reply queue to the call it answers, by
 * correlation id (`correlationIdOf`). Unknown, late and malformed replies are counted and
 * dropped, never thrown: a misbehaving peer cannot break the caller.
 */
export class ReplyRouter {
  private readonly targets = new LiveTable<ReplyTarget>();
  private unknown = 0;
  private malformed = 0;

  constructor(private readonly limits: DecodeLimits) {}

  add(correlationId: string, target: ReplyTarget): void {
    this.targets.set(countOf(correlationId), target);
  }

  remove(correlationId: string): void {
    this.targets.take(countOf(correlationId));
  }

  get size(): number {
    return this.targets.size;
  }

  route(bytes: Uint8Array): void {
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(bytes, this.limits);
    } catch {
      this.malformed++;
      return;
    }
    // Everything but requests, events and what callers send servers (`Cancel`, `Credit`).
    const isAnswer = envelope.kind === MessageKind.Reply || envelope.kind === MessageKind.Started || isStreamAnswer(envelope.kind);
    const target = isAnswer && envelope.correlationId !== undefined ? this.targets.get(countOf(envelope.correlationId)) : undefined;
    if (target === undefined) {
      this.unknown++;
      return;
    }
    try {
      target.onMessage(envelope);
    } catch {
      // A reply that cannot be turned into an outcome must not throw into the reply queue's
      // stream (rxjs would rethrow it outside any caller): count it as malformed.
      this.malformed++;
    }
  }

  /** Hands every target to `settle` (used on close) and forgets them. */
  drain(settle: (target: ReplyTarget) => void): void {
    const targets = this.targets.values();
    this.targets.clear();
    for (const target of targets) settle(target);
  }

  stats(): ReplyRouterStats {
    return { pending: this.targets.size, unknown: this.unknown, malformed: this.malformed };
  }
}
