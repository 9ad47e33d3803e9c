// `node dist/bench/rabbitmq-reply-paths.js [seconds] [rounds]`: what the RabbitMQ transport's
// design choices cost, measured with plain amqplib (no Ferry) so only the choice differs. Both
// sides in one process, 64 calls in flight, 100 B, rounds interleaved (A, B, C, A, B, C, ...),
// the median of each reported with its ratio to direct reply-to:
// - `direct reply-to`: replies through `amq.rabbitmq.reply-to` (the bench peer's way);
// - `exclusive queue`: replies to an exclusive queue of the client's (the transport's way);
// - `exclusive + mandatory`: the same, every request published `mandatory` (how the transport
//   detects a service nobody serves: an unroutable request comes back).
import { createRequire } from "node:module";
import { randomUUID } from "node:crypto";

interface Message {
  content: Buffer;
  properties: { replyTo?: string; correlationId?: string };
}
interface Channel {
  assertQueue(queue: string, options: Record<string, unknown>): Promise<{ queue: string }>;
  deleteQueue(queue: string): Promise<unknown>;
  prefetch(count: number): Promise<unknown>;
  consume(queue: string, onMessage: (message: Message | null) => void, options: { noAck: boolean }): Promise<unknown>;
  publish(exchange: string, queue: string, content: Buffer, options: Record<string, unknown>): boolean;
  ack(message: Message): void;
  close(): Promise<void>;
}
interface Connection {
  createChannel(): Promise<Channel>;
  close(): Promise<void>;
}
const amqplib = createRequire(import.meta.url)("amqplib") as { connect(url: string, options: Record<string, unknown>): Promise<Connection> };

type Variant = "direct reply-to" | "exclusive queue" | "exclusive + mandatory";
const variants: Variant[] = ["direct reply-to", "exclusive queue", "exclusive + mandatory"];
const inFlight = 64;
const payload = Buffer.alloc(100, 7);

async function measure(url: string, variant: Variant, seconds: number): Promise<number> {
  const serverConnection = await amqplib.connect(url, { noDelay: true });
  const clientConnection = await amqplib.connect(url, { noDelay: true });
  const requests = `bench-reply-paths.${randomUUID()}`;
  try {
    const server = await serverConnection.createChannel();
    await server.assertQueue(requests, { durable: false, autoDelete: true });
    await server.prefetch(256);
    await server.consume(
      requests,
      (message) => {
        if (message === null) return;
        server.publish("", message.properties.replyTo!, message.content, { correlationId: message.properties.correlationId });
        server.ack(message);
      },
      { noAck: false },
    );
    const client = await clientConnection.createChannel();
    const replyTo = variant === "direct reply-to" ? "amq.rabbitmq.reply-to" : (await client.assertQueue("", { exclusive: true, autoDelete: true })).queue;
    const pending = new Map<string, () => void>();
    await client.consume(replyTo, (message) => message !== null && pendingReply(pending, message), { noAck: true });
    const mandatory = variant === "exclusive + mandatory";
    let next = 0;
    let calls = 0;
    const endAt = Date.now() + seconds * 1000;
    const call = (): Promise<void> =>
      new Promise((resolve) => {
        const id = String(next++);
        pending.set(id, resolve);
        client.publish("", requests, payload, { replyTo, correlationId: id, mandatory });
      });
    const startedAt = Date.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (Date.now() < endAt) {
          await call();
          calls++;
        }
      }),
    );
    return calls / ((Date.now() - startedAt) / 1000);
  } finally {
    await clientConnection.close();
    await serverConnection.close();
  }
}

function pendingReply(pending: Map<string, () => void>, message: Message): void {
  const id = message.properties.correlationId!;
  const resolve = pending.get(id);
  pending.delete(id);
  resolve?.();
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const url = process.env["AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672";
const seconds = Number(process.argv[2] ?? 3);
const rounds = Number(process.argv[3] ?? 5);
const results = new Map<Variant, number[]>(variants.map((variant) => [variant, []]));
for (let round = 0; round < rounds; round++) {
  for (const variant of variants) results.get(variant)!.push(await measure(url, variant, seconds));
}
const base = median(results.get("direct reply-to")!);
for (const variant of variants) {
  const values = results.get(variant)!;
  console.log(`${variant.padEnd(22)} median ${Math.round(median(values)).toLocaleString("en")} calls/s (${(median(values) / base).toFixed(2)}x direct reply-to), rounds: ${values.map(Math.round).join(", ")}`);
}
