import type { Clock } from "../../../core/clock.js";
import type { Broker } from "../broker.js";

/** Where a reply queue's messages go while its connection is attached. */
export type ReplyOwner = (queue: string, bytes: Uint8Array) => void;

interface Holder {
  owner: ReplyOwner | undefined;
  /** Messages that arrived while detached, bounded by `maxHeldMessages`. */
  held: Uint8Array[];
  graceTimer: unknown;
}

/**
 * Reply queues of TCP clients. When a connection drops, its queues stay on the broker for a
 * grace period, holding what arrives, so a client that reconnects keeps its queue name and gets
 * the replies sent meanwhile. After the grace period the queues are removed.
 */
export class ReplyQueueRegistry {
  private readonly holders = new Map<string, Holder>();

  constructor(
    private readonly broker: Broker,
    private readonly clock: Clock,
    private readonly graceMs: number,
    private readonly maxHeldMessages: number,
  ) {}

  open(owner: ReplyOwner): string {
    const holder: Holder = { owner, held: [], graceTimer: undefined };
    const name = this.broker.openReplyQueue((bytes) => this.route(name, holder, bytes));
    this.holders.set(name, holder);
    return name;
  }

  /** Takes back a queue by name after a reconnect; false if it is gone or owned by a live connection. */
  reattach(name: string, owner: ReplyOwner): boolean {
    const holder = this.holders.get(name);
    if (holder === undefined || holder.owner !== undefined) return false;
    this.clock.clearTimeout(holder.graceTimer);
    holder.owner = owner;
    const held = holder.held;
    holder.held = [];
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
    else if (holder.held.length < this.maxHeldMessages) holder.held.push(bytes);
  }
}
