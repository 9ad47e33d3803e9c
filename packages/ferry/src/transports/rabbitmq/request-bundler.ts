import type { Clock } from "../../core/clock.js";
import type { AmqpPublishOptions } from "./amqp-api.js";
import { encodeBundle, type BundleItem } from "./bundle-codec.js";
import type { ConfirmPublisher, PublishOutcome } from "./confirm-publisher.js";
import { Header } from "./message-headers.js";
import { TurnBundler, type BundleLimits } from "./turn-bundler.js";

/** A publish on its way: to a topic's exchange (core), or by queue name through the default exchange (stored). */
export interface RequestItem extends BundleItem {
  exchange: string;
  routingKey: string;
  /** How it goes when it goes alone: persistent or not, its headers and per-message TTL. */
  options: AmqpPublishOptions;
  done: (outcome: PublishOutcome) => void;
}

/**
 * Publishes of one turn to the same exchange and routing key (the same partition queue of every
 * group, or one stored queue by name) go as one confirmed message (see `TurnBundler`). Durable
 * and core publishes never share one: a bundle of durable calls is persistent, so RabbitMQ
 * writes and confirms it once for all of them (at 64 in flight, RabbitMQ's work per persistent
 * message on a quorum queue was what held durable calls to 0.14x core). The bundle's TTL is the latest
 * deadline of its items (none if one has none): RabbitMQ drops it only once every item is
 * past its deadline, and the consumer drops each item past its own. The bundle's confirm, its
 * return (no group bound) or its failure is each item's. Without `limits` (bundling off) each
 * publish goes at once, on its own.
 */
export class RequestBundler {
  private readonly bundler: TurnBundler<RequestItem> | undefined;

  constructor(
    private readonly publisher: ConfirmPublisher,
    limits: BundleLimits | undefined,
    private readonly clock: Clock,
  ) {
    if (limits !== undefined) this.bundler = new TurnBundler(limits, (_, items) => this.send(items));
  }

  publish(item: RequestItem): void {
    if (this.bundler === undefined) return this.send([item]);
    this.bundler.add(`${item.options.persistent === true ? "p" : "t"}\n${item.exchange}\n${item.routingKey}`, item);
  }

  private send(items: RequestItem[]): void {
    const first = items[0]!;
    if (items.length === 1) return this.publisher.publish(first.exchange, first.routingKey, first.bytes, first.options, first.done);
    const options: AmqpPublishOptions = { persistent: first.options.persistent === true, headers: { [Header.Bundle]: items.length } };
    let latest: number | undefined = -Infinity;
    for (const item of items) latest = item.expiresAt === undefined || latest === undefined ? undefined : Math.max(latest, item.expiresAt);
    if (latest !== undefined) options.expiration = String(Math.max(0, Math.ceil(latest - this.clock.now())));
    this.publisher.publish(first.exchange, first.routingKey, encodeBundle(items), options, (outcome) => {
      for (const item of items) item.done(outcome);
    });
  }
}
