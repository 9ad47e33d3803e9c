import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Clock } from "../../core/clock.js";
import type { Broker } from "../broker.js";
import { ownBytes } from "../protocol/own-bytes.js";

/** Replies a dropped client's reply queue holds for it until it reconnects; later ones are dropped. */
export const defaultMaxHeldReplies = 10_000;

/** Bytes of replies a dropped client's reply queue holds for it (8 MiB): memory the broker keeps per queue during the grace period. */
export const defaultMaxHeldReplyBytes = 8 * 1024 * 1024;

/** Where a reply queue's messages go while its connection is attached. */
export type ReplyOwner = (queue: string, bytes: Uint8Array) => void;

interface Holder {
  owner: ReplyOwner | undefined;
  /**
   * Proves ownership when reattaching. The queue's name travels in every request, so anyone may
   * know it; the secret goes only to the connection that opened the queue.
   */
  secret: Buffer;
  /** Messages that arrived while detached, bounded by `maxHeldMessages` and `maxHeldBytes`. */
  held: Uint8Array[];
  heldBytes: number;
  graceTimer: unknown;
}

/**
 * Reply queues of TCP clients. When a connection drops, its queues stay on the broker for a
 * grace period, holding what arrives, so a client that reconnects keeps its queue name and gets
 * the replies sent meanwhile (what does not fit the bounds is dropped, like a reply to a queue
 * that is gone). After the grace period the queues are removed.
 */
export class ReplyQueueRegistry {
  private readonly holders = new Map<string, Holder>();

  constructor(
    private readonly broker: Broker,
    private readonly clock: Clock,
    private readonly graceMs: number,
    private readonly maxHeldMessages: number,
    private readonly maxHeldBytes: number,
  ) {}

  /** Opens a queue for `owner`; returns its name and the secret that takes it back after a reconnect. */
  open(owner: ReplyOwner): { name: string; secret: string } {
    const holder: Holder = { owner, secret: randomBytes(16), held: [], heldBytes: 0, graceTimer: undefined };
    const name = this.broker.openReplyQueue((bytes) => this.route(name, holder, bytes));
    this.holders.set(name, holder);
    return { name, secret: holder.secret.toString("hex") };
  }

  /**
   * Takes back a queue after a reconnect; false if it is gone, owned by a live connection, or the
   * secret is wrong.
   */
  reattach(name: string, secret: string, owner: ReplyOwner): boolean {
    const holder = this.holders.get(name);
    if (holder === undefined || holder.owner !== undefined) return false;
    const offered = Buffer.from(secret, "hex");
    if (offered.length !== holder.secret.length || !timingSafeEqual(offered, holder.secret)) return false;
    this.clock.clearTimeout(holder.graceTimer);
    holder.owner = owner;
    const held = holder.held;
    holder.held = [];
    holder.heldBytes = 0;
    for (const bytes of held) owner(name, bytes);
    return true;
  }

  /** The owner's connection dropped: keep the queue for the grace period. */
  detach(name: string): void {
    const holder = this.holders.get(name);
    if (holder === undefined) return;
    holder.owner = undefined;
    holder.graceTimer = this.clock.setTimeout(() => this.close(name), this.graceMs);
  }

  close(name: string): void {
    const holder = this.holders.get(name);
    if (holder === undefined) return;
    this.clock.clearTimeout(holder.graceTimer);
    this.holders.delete(name);
    this.broker.closeReplyQueue(name);
  }

  closeAll(): void {
    for (const name of [...this.holders.keys()]) this.close(name);
  }

  private route(name: string, holder: Holder, bytes: Uint8Array): void {
    if (holder.owner !== undefined) holder.owner(name, bytes);
    else if (holder.held.length < this.maxHeldMessages && holder.heldBytes + bytes.length <= this.maxHeldBytes) {
      holder.held.push(ownBytes(bytes));
      holder.heldBytes += bytes.length;
    }
  }
}
