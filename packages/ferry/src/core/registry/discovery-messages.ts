import { decodeValue, encodeValue } from "../wire/codec.js";
import type { TopicOptions } from "../transport.js";
import type { MethodInfo } from "./service-info.js";

/**
 * The topic every serving runtime listens on for discovery requests, each in a consumer group of
 * its own (`discoveryGroup`), so each gets a copy of every request.
 */
export const discoveryTopic = "ferry.discovery";

/**
 * Messages the discovery topic holds per partition on the embedded broker (its one partition).
 * A stopped runtime's group stays on that broker, and the broker keeps a message until every
 * group has read it: the bound (with `drop-oldest`) caps what such groups hold back, at about
 * 100 bytes a request.
 */
export const discoveryTopicMaxLength = 1_000;

/**
 * Declared by both sides before use, so whichever comes first makes the topic the same. Never
 * stored: a request is worth nothing after its wait, and a transport that stores every topic
 * (NATS in durable mode, whose work-queue streams allow one group) keeps this one out of storage.
 */
export const discoveryTopicOptions: TopicOptions = { partitions: 1, maxLength: discoveryTopicMaxLength, overflow: "drop-oldest", durable: false };

/** The consumer group of one runtime on the discovery topic. */
export function discoveryGroup(instanceId: string): string {
  return `discovery-${instanceId}`;
}

/** `info`: describe every service with its methods. `ping`: only say who you are. */
export type DiscoveryVerb = "info" | "ping";

const version = 1;

/** A requester's question to every runtime. */
export interface DiscoveryRequest {
  verb: DiscoveryVerb;
  /** Matches answers to this request. */
  id: string;
  /** The requester's reply queue. */
  replyTo: string;
  /** Epoch ms after which the request is stale and nobody answers it. */
  expiresAt: number;
  /** Only runtimes serving this service answer. */
  service?: string;
}

/** One served service, as a runtime reports it. */
export interface ServiceReport {
  name: string;
  group: string;
  schemaHash: string;
  startedAt: number;
  /** Empty for a ping. */
  methods: MethodInfo[];
}

export type MethodReport = MethodInfo;

/** One runtime's answer. */
export interface DiscoveryAnswer {
  id: string;
  instanceId: string;
  host: string;
  pid: number;
  services: ServiceReport[];
}

export function encodeDiscoveryRequest(request: DiscoveryRequest): Uint8Array {
  return encodeValue({ v: version, ...request });
}

/** The request in `bytes`, or undefined when they are not one (anyone may publish to the topic). */
export function decodeDiscoveryRequest(bytes: Uint8Array): DiscoveryRequest | undefined {
  const value = decodeRecord(bytes);
  if (value === undefined || (value.verb !== "info" && value.verb !== "ping")) return undefined;
  if (typeof value.id !== "string" || typeof value.replyTo !== "string" || typeof value.expiresAt !== "number") return undefined;
  if (value.service !== undefined && value.service !== null && typeof value.service !== "string") return undefined;
  const request: DiscoveryRequest = { verb: value.verb, id: value.id, replyTo: value.replyTo, expiresAt: value.expiresAt };
  if (typeof value.service === "string") request.service = value.service;
  return request;
}

export function encodeDiscoveryAnswer(answer: DiscoveryAnswer): Uint8Array {
  return encodeValue({ v: version, ...answer });
}

/** The answer in `bytes`, checked field by field, or undefined when they are not one. */
export function decodeDiscoveryAnswer(bytes: Uint8Array): DiscoveryAnswer | undefined {
  const value = decodeRecord(bytes);
  if (value === undefined || typeof value.id !== "string" || typeof value.instanceId !== "string" || typeof value.host !== "string" || typeof value.pid !== "number") return undefined;
  if (!Array.isArray(value.services)) return undefined;
  const services: ServiceReport[] = [];
  for (const item of value.services as unknown[]) {
    const service = readService(item);
    if (service === undefined) return undefined;
    services.push(service);
  }
  return { id: value.id, instanceId: value.instanceId, host: value.host, pid: value.pid, services };
}

function readService(item: unknown): ServiceReport | undefined {
  const value = item as Record<string, unknown> | null;
  if (typeof value !== "object" || value === null) return undefined;
  if (typeof value.name !== "string" || typeof value.group !== "string" || typeof value.schemaHash !== "string" || typeof value.startedAt !== "number") return undefined;
  if (!Array.isArray(value.methods)) return undefined;
  const methods: MethodInfo[] = [];
  for (const entry of value.methods as unknown[]) {
    const method = readMethod(entry);
    if (method === undefined) return undefined;
    methods.push(method);
  }
  return { name: value.name, group: value.group, schemaHash: value.schemaHash, startedAt: value.startedAt, methods };
}

function readMethod(entry: unknown): MethodInfo | undefined {
  const value = entry as Record<string, unknown> | null;
  if (typeof value !== "object" || value === null || typeof value.name !== "string" || typeof value.kind !== "string") return undefined;
  const numbers = [value.handled, value.errors, value.averageMs, value.p99Ms];
  if (!numbers.every((number) => typeof number === "number")) return undefined;
  const method: MethodInfo = {
    name: value.name,
    kind: value.kind,
    handled: value.handled as number,
    errors: value.errors as number,
    averageMs: value.averageMs as number,
    p99Ms: value.p99Ms as number,
  };
  const last = value.lastError as Record<string, unknown> | null | undefined;
  if (typeof last === "object" && last !== null && typeof last.code === "string" && typeof last.message === "string" && typeof last.at === "number") {
    method.lastError = { code: last.code, message: last.message, at: last.at };
  }
  return method;
}

/** A version-1 record decoded from untrusted bytes, or undefined. */
function decodeRecord(bytes: Uint8Array): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = decodeValue(bytes);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  return record.v === version ? record : undefined;
}
