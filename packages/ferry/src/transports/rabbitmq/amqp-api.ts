import { importOptionalPeer } from "../optional-peer.js";

/**
 * The part of amqplib's promise API the RabbitMQ transport uses. amqplib ships no types, and
 * `@types/amqplib` would become a dependency of every user of Ferry's declarations: these few
 * interfaces keep the published types free of it.
 */
export interface AmqpMessage {
  content: Buffer;
  fields: { deliveryTag: number; redelivered: boolean; routingKey: string; exchange: string };
  properties: { headers?: Record<string, unknown>; messageId?: string; expiration?: string };
}

export interface AmqpQueueInfo {
  queue: string;
  /** Messages ready for delivery (not those delivered and unacknowledged). */
  messageCount: number;
  consumerCount: number;
}

export interface AmqpQueueOptions {
  durable?: boolean;
  exclusive?: boolean;
  autoDelete?: boolean;
  arguments?: Record<string, unknown>;
}

export interface AmqpPublishOptions {
  mandatory?: boolean;
  persistent?: boolean;
  expiration?: string;
  messageId?: string;
  headers?: Record<string, unknown>;
}

export interface AmqpChannel {
  assertQueue(queue: string, options?: AmqpQueueOptions): Promise<AmqpQueueInfo>;
  checkQueue(queue: string): Promise<AmqpQueueInfo>;
  assertExchange(exchange: string, type: "direct", options?: { durable?: boolean; autoDelete?: boolean }): Promise<unknown>;
  bindQueue(queue: string, exchange: string, routingKey: string): Promise<unknown>;
  /** One message without a consumer (`basic.get`), or false when the queue is empty. */
  get(queue: string, options?: { noAck?: boolean }): Promise<AmqpMessage | false>;
  deleteQueue(queue: string): Promise<unknown>;
  prefetch(count: number, global?: boolean): Promise<unknown>;
  consume(queue: string, onMessage: (message: AmqpMessage | null) => void, options?: { noAck?: boolean; exclusive?: boolean }): Promise<{ consumerTag: string }>;
  cancel(consumerTag: string): Promise<unknown>;
  ack(message: AmqpMessage): void;
  nack(message: AmqpMessage, allUpTo?: boolean, requeue?: boolean): void;
  /** On a confirm channel, `callback` gets `null` once RabbitMQ acks the message, an error when it nacks it or the channel closes. */
  publish(exchange: string, routingKey: string, content: Buffer, options?: AmqpPublishOptions, callback?: (error: unknown) => void): boolean;
  close(): Promise<void>;
  on(event: "return", listener: (message: AmqpMessage) => void): this;
  on(event: "close", listener: () => void): this;
  on(event: "error", listener: (error: unknown) => void): this;
}

export interface AmqpConnection {
  createChannel(): Promise<AmqpChannel>;
  createConfirmChannel(): Promise<AmqpChannel>;
  close(): Promise<void>;
  on(event: "close", listener: (error?: unknown) => void): this;
  on(event: "error", listener: (error: unknown) => void): this;
  on(event: "blocked", listener: (reason: string) => void): this;
  on(event: "unblocked", listener: () => void): this;
  /** amqplib's connection: what the server announced, and the socket (`stream`) it writes to. */
  readonly connection: { serverProperties?: { version?: string }; stream?: { cork(): void; uncork(): void } };
}

export interface Amqplib {
  connect(url: string, socketOptions?: Record<string, unknown>): Promise<AmqpConnection>;
}

/**
 * Loads amqplib, an optional peer dependency, on first use. The name is held in a variable so the
 * compiler does not look for its (absent) types; a missing install names the package to install.
 */
export async function loadAmqplib(): Promise<Amqplib> {
  const name = "amqplib";
  const loaded = (await importOptionalPeer(() => import(name) as Promise<{ default?: Amqplib } & Amqplib>, name, "connect({ url: \"amqp://...\" })"));
  return loaded.default ?? loaded;
}

/** The AMQP reply code of a channel or connection error (404 NOT_FOUND, 406 PRECONDITION_FAILED, ...), if it carries one. */
export function amqpCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}
