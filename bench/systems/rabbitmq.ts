// RabbitMQ RPC with amqplib: requests to a non-durable queue, replies through direct reply-to
// (`amq.rabbitmq.reply-to`, consumed without acks) matched by correlation id.
import { createRequire } from "node:module";
import { pack, unpack } from "msgpackr";
import { add, type AddReply, type AddRequest } from "../payload.js";
import type { ClientSide, SetupConfig, ServerSide, SystemSides } from "./system.js";

/** The part of amqplib's promise API used here (it ships no types; @types/amqplib is not needed for this much). */
interface AmqpMessage {
  content: Buffer;
  properties: { replyTo?: string; correlationId?: string };
}
interface AmqpChannel {
  assertQueue(queue: string, options: { durable: boolean; autoDelete: boolean }): Promise<unknown>;
  prefetch(count: number): Promise<unknown>;
  consume(queue: string, onMessage: (message: AmqpMessage | null) => void, options: { noAck: boolean }): Promise<unknown>;
  sendToQueue(queue: string, content: Buffer, options: { replyTo?: string; correlationId?: string }): boolean;
  ack(message: AmqpMessage): void;
}
interface AmqpConnection {
  createChannel(): Promise<AmqpChannel>;
  close(): Promise<void>;
  connection: { serverProperties?: { version?: string } };
}
interface Amqplib {
  connect(url: string, socketOptions: { noDelay: boolean }): Promise<AmqpConnection>;
}

const amqplib = createRequire(import.meta.url)("amqplib") as Amqplib;
export const defaultAmqpUrl = "amqp://guest:guest@127.0.0.1:5672";
/** Messages the server may hold unacknowledged: enough for 64 in flight, as in the peers' benchmark. */
const prefetch = 100;
const replyTo = "amq.rabbitmq.reply-to";

const queueOf = (config: SetupConfig) => `bench.${config.runId}`;

async function serve(config: SetupConfig): Promise<ServerSide> {
  const connection = await amqplib.connect(config.amqpUrl ?? defaultAmqpUrl, { noDelay: true });
  const channel = await connection.createChannel();
  await channel.assertQueue(queueOf(config), { durable: false, autoDelete: true });
  await channel.prefetch(prefetch);
  await channel.consume(
    queueOf(config),
    (message) => {
      if (message === null) return;
      channel.sendToQueue(message.properties.replyTo!, pack(add(unpack(message.content) as AddRequest)), { correlationId: message.properties.correlationId! });
      channel.ack(message);
    },
    { noAck: false },
  );
  return { info: {}, close: () => connection.close() };
}

async function connect(config: SetupConfig): Promise<ClientSide> {
  const connection = await amqplib.connect(config.amqpUrl ?? defaultAmqpUrl, { noDelay: true });
  const channel = await connection.createChannel();
  const pending = new Map<string, (sum: number) => void>();
  let nextId = 0;
  await channel.consume(
    replyTo,
    (message) => {
      if (message === null) return;
      const id = message.properties.correlationId!;
      const resolve = pending.get(id);
      pending.delete(id);
      resolve?.((unpack(message.content) as AddReply).sum);
    },
    { noAck: true },
  );
  const queue = queueOf(config);
  return {
    info: { rabbitmq: connection.connection.serverProperties?.version ?? null },
    call(request) {
      const id = String(nextId++);
      channel.sendToQueue(queue, pack(request), { replyTo, correlationId: id });
      return new Promise((resolve) => pending.set(id, resolve));
    },
    close: () => connection.close(),
  };
}

export const rabbitmq: SystemSides = { serve, connect };
