import { randomBytes } from "node:crypto";
import type { Clock } from "../clock.js";
import { asFerryError, InvalidArgumentError, NoRespondersError } from "../errors.js";
import type { Transport } from "../transport.js";
import {
  decodeDiscoveryAnswer,
  discoveryTopic,
  discoveryTopicOptions,
  encodeDiscoveryRequest,
  type DiscoveryAnswer,
  type DiscoveryVerb,
} from "./discovery-messages.js";
import type { DiscoveryOptions, PingReply, ServiceInfo, ServiceInstanceInfo } from "./service-info.js";

/**
 * How long `services()` and `ping()` (and `ferry services`, `ferry ping`) collect answers, ms.
 * Each listing takes this long: an instance busier than this (its event loop blocked longer)
 * is missed.
 */
export const defaultDiscoveryWaitMs = 500;

/** Longest `waitMs` accepted, ms: a listing holds a reply queue open that long. */
export const maxDiscoveryWaitMs = 60_000;

/**
 * Answers kept per listing; later ones are dropped. It bounds what a listing holds in memory
 * (each answer is one runtime's services and methods).
 */
export const maxDiscoveryAnswers = 10_000;

/** Every service that answered within the wait, with its instances, sorted by name. */
export async function listServices(transport: Transport, clock: Clock, options: DiscoveryOptions = {}): Promise<ServiceInfo[]> {
  const answers = await discover(transport, clock, "info", undefined, options);
  const services = new Map<string, ServiceInstanceInfo[]>();
  for (const { answer } of answers) {
    for (const service of answer.services) {
      const instances = services.get(service.name) ?? [];
      instances.push({
        instanceId: answer.instanceId,
        host: answer.host,
        pid: answer.pid,
        group: service.group,
        schemaHash: service.schemaHash,
        startedAt: service.startedAt,
        methods: service.methods,
      });
      services.set(service.name, instances);
    }
  }
  return [...services]
    .sort(([a], [b]) => compare(a, b))
    .map(([name, instances]) => ({ name, instances: instances.sort((a, b) => compare(a.host, b.host) || a.pid - b.pid || compare(a.instanceId, b.instanceId)) }));
}

/** One reply per instance serving `service` that answered within the wait, fastest first; empty when none did. */
export async function pingService(transport: Transport, clock: Clock, service: string, options: DiscoveryOptions = {}): Promise<PingReply[]> {
  if (typeof service !== "string" || service === "") throw new InvalidArgumentError(`ping: the service must be a non-empty string, got ${JSON.stringify(service)}`);
  const answers = await discover(transport, clock, "ping", service, options);
  return answers
    .filter(({ answer }) => answer.services.some((served) => served.name === service))
    .map(({ answer, roundTripMs }) => ({ instanceId: answer.instanceId, host: answer.host, pid: answer.pid, roundTripMs }))
    .sort((a, b) => a.roundTripMs - b.roundTripMs);
}

interface TimedAnswer {
  answer: DiscoveryAnswer;
  roundTripMs: number;
}

/**
 * Publishes one discovery request and collects the answers on a reply queue of its own for
 * `waitMs`. When no runtime listens at all (the transport reports no responders), it returns
 * at once, with nothing.
 */
async function discover(transport: Transport, clock: Clock, verb: DiscoveryVerb, service: string | undefined, options: DiscoveryOptions): Promise<TimedAnswer[]> {
  const waitMs = checkWait(options.waitMs ?? defaultDiscoveryWaitMs);
  try {
    await transport.declareTopic(discoveryTopic, discoveryTopicOptions);
  } catch (error) {
    throw asFerryError(error, "declaring the discovery topic");
  }
  const queue = await transport.openReplyQueue();
  const id = randomBytes(8).toString("hex");
  const answers = new Map<string, TimedAnswer>();
  const sentAt = performance.now();
  const subscription = queue.messages.subscribe((bytes) => {
    const answer = decodeDiscoveryAnswer(bytes);
    // One answer per instance: a copy delivered twice (a redelivery) is not a second instance.
    if (answer === undefined || answer.id !== id || answers.has(answer.instanceId) || answers.size >= maxDiscoveryAnswers) return;
    answers.set(answer.instanceId, { answer, roundTripMs: performance.now() - sentAt });
  });
  try {
    const expiresAt = clock.now() + waitMs;
    const request = encodeDiscoveryRequest({ verb, id, replyTo: queue.name, expiresAt, ...(service === undefined ? {} : { service }) });
    try {
      await transport.publish(discoveryTopic, request, { requireConsumer: true, durable: false, expiresAt });
    } catch (error) {
      if (error instanceof NoRespondersError) return [];
      throw asFerryError(error, "publishing a discovery request");
    }
    await new Promise<void>((resolve) => clock.setTimeout(resolve, Math.max(0, expiresAt - clock.now())));
    return [...answers.values()];
  } finally {
    subscription.unsubscribe();
    queue.close();
  }
}

function checkWait(waitMs: number): number {
  if (typeof waitMs !== "number" || !Number.isFinite(waitMs) || waitMs <= 0 || waitMs > maxDiscoveryWaitMs) {
    throw new InvalidArgumentError(`waitMs must be a number of milliseconds above 0 and at most ${maxDiscoveryWaitMs}, got ${String(waitMs)}`);
  }
  return waitMs;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
