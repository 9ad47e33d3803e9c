import { bundleItemOverhead, type BundleItem } from "./bundle-codec.js";

/** How much one bundle may hold. */
export interface BundleLimits {
  /** Items per bundle; one more starts the next bundle. */
  maxItems: number;
  /** Bytes of a bundle's body; an item that would pass it starts the next bundle, one larger alone goes on its own. */
  maxBytes: number;
}

/** What was sent to one destination in one turn, in order. */
interface Group<Item> {
  destination: string;
  items: Item[];
  bytes: number;
}

/**
 * Gathers what is sent to one destination (a partition queue's routing key, a reply queue) in
 * one event-loop turn, so RabbitMQ carries it as one message: at 64 calls in flight RabbitMQ's
 * work per message is what limits the call rate, and a turn's burst (the calls a batch of replies
 * set off, the replies a bundle of requests made) shares one publish, one routing, one delivery
 * and one ack. Nothing waits for more to come: the turn's sends go when the turn ends (a
 * `process.nextTick`, run once every promise callback of the turn has run), before amqplib's
 * own writer runs, so a lone send is not delayed. `flush` gets each group in send order; a group
 * of one is a lone message, sent exactly as without bundles.
 */
export class TurnBundler<Item extends BundleItem> {
  private readonly open = new Map<string, Group<Item>>();
  private scheduled = false;
  /** Run once the turn's groups are sent (an ack that must follow its reply). */
  private readonly after: (() => void)[] = [];

  constructor(
    private readonly limits: BundleLimits,
    private readonly flush: (destination: string, items: Item[]) => void,
  ) {}

  add(destination: string, item: Item): void {
    const size = item.bytes.length + bundleItemOverhead + (item.key === undefined ? 0 : Buffer.byteLength(item.key));
    let group = this.open.get(destination);
    if (group !== undefined && (group.items.length >= this.limits.maxItems || group.bytes + size > this.limits.maxBytes)) {
      this.send(group);
      group = undefined;
    }
    if (size > this.limits.maxBytes) {
      // Too large to share a bundle: it goes alone, after what was sent before it to the same place.
      this.flush(destination, [item]);
      return;
    }
    if (group === undefined) {
      group = { destination, items: [], bytes: 0 };
      this.open.set(destination, group);
    }
    group.items.push(item);
    group.bytes += size;
    this.schedule();
  }

  /** Runs `action` once this turn's groups are sent, or at once when none is waiting. */
  afterSends(action: () => void): void {
    if (this.open.size === 0) return action();
    this.after.push(action);
  }

  /** Sends every waiting group now (the connection is going). */
  sendAll(): void {
    const groups = [...this.open.values()];
    for (const group of groups) this.send(group);
    const after = this.after.splice(0);
    for (const action of after) action();
  }

  private send(group: Group<Item>): void {
    if (this.open.get(group.destination) === group) this.open.delete(group.destination);
    this.flush(group.destination, group.items);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(() => {
      this.scheduled = false;
      this.sendAll();
    });
  }
}
