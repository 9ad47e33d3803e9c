import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Clock } from "../clock.js";
import type { Delivery, Subscription, Transport } from "../transport.js";
import {
  decodeDiscoveryRequest,
  discoveryGroup,
  discoveryTopic,
  discoveryTopicOptions,
  encodeDiscoveryAnswer,
  type DiscoveryRequest,
} from "./discovery-messages.js";
import type { ServiceRecord } from "./service-record.js";

/**
 * Requests one runtime holds unacknowledged at once. Answering takes microseconds; more
 * would only hold more of a burst in memory.
 */
const discoveryPrefetch = 16;

/**
 * One runtime's answerer of discovery requests (`ferry services`, `ferry ping`), like the `$SRV`
 * verbs of a NATS service. It joins the discovery topic when the runtime first serves, in a
 * consumer group of its own, so every runtime gets a copy of every request; it answers on the
 * request's reply queue, and acknowledges every request at once, answered or not.
 *
 * At rest it costs one consumer (a queue subscription on NATS, a group on the broker) and no
 * timer. A request past its `expiresAt` is ignored: a runtime that joins late (and on the
 * embedded broker, a new group reads what the topic still holds) never answers a stale request.
 */
export class RegistryResponder {
  readonly instanceId = randomBytes(8).toString("hex");
  private readonly host = hostname();
  private records: ServiceRecord[] = [];
  private joining: Promise<Subscription> | undefined;
  private closed = false;
  /** Requests dropped because they had expired, or could not be read. */
  stale = 0;
  malformed = 0;

  constructor(
    private readonly transport: Transport,
    private readonly clock: Clock,
  ) {}

  /**
   * Lists `record` from now on (until its server stops), joining the discovery topic on the
   * first one. Rejects when the transport refuses the join; the next `add` tries again.
   */
  async add(record: ServiceRecord): Promise<void> {
    if (this.closed) return;
    // Stopped servers are forgotten here, so serving again and again keeps the list short.
    this.records = [...this.records.filter((kept) => kept.serving), record];
    this.joining ??= this.join();
    try {
      await this.joining;
    } catch (error) {
      this.joining = undefined;
      throw error;
    }
  }

  private async join(): Promise<Subscription> {
    await this.transport.declareTopic(discoveryTopic, discoveryTopicOptions);
    return this.transport.consume(discoveryTopic, discoveryGroup(this.instanceId), (delivery) => this.onRequest(delivery), {
      prefetch: discoveryPrefetch,
      ordered: false,
    });
  }

  private onRequest(delivery: Delivery): void {
    delivery.ack();
    const request = decodeDiscoveryRequest(delivery.bytes);
    if (request === undefined) {
      this.malformed++;
      return;
    }
    if (request.expiresAt <= this.clock.now()) {
      this.stale++;
      return;
    }
    this.answer(request);
  }

  private answer(request: DiscoveryRequest): void {
    const serving = this.records.filter((record) => record.serving && (request.service === undefined || record.service === request.service));
    if (serving.length === 0) return;
    const detail = request.verb === "info";
    const bytes = encodeDiscoveryAnswer({
      id: request.id,
      instanceId: this.instanceId,
      host: this.host,
      pid: process.pid,
      services: serving.map((record) => record.report(detail)),
    });
    this.transport.reply(request.replyTo, bytes);
  }

  /** Leaves the discovery topic: the runtime is no longer listed. */
  async close(): Promise<void> {
    this.closed = true;
    const joining = this.joining;
    this.joining = undefined;
    if (joining === undefined) return;
    try {
      await (await joining).unsubscribe();
    } catch {
      // A join that failed left nothing to leave.
    }
  }
}
