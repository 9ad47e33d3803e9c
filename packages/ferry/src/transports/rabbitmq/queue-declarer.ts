import type { AmqpChannel, AmqpConnection, AmqpQueueInfo, AmqpQueueOptions } from "./amqp-api.js";
import { amqpCode } from "./amqp-api.js";

/**
 * Declares queues and asks about them (a passive declare: depth and consumers) on a channel of
 * its own. RabbitMQ closes a channel on a failed declare (404 for a passive declare of a missing
 * queue, 406 for a queue that exists with other arguments), so the operations run one at a time
 * and the channel is opened again after a failure.
 */
export class QueueDeclarer {
  private channel: Promise<AmqpChannel> | undefined;
  private connection: AmqpConnection | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  /** Operations from now on use `connection` (undefined while reconnecting). */
  attach(connection: AmqpConnection | undefined): void {
    this.connection = connection;
    this.channel = undefined;
  }

  /**
   * Declares `queue`. One that exists with other arguments (declared by another connection with
   * other topic options, or before an upgrade) is used as it is: the first declaration wins.
   */
  assert(queue: string, options: AmqpQueueOptions): Promise<void> {
    return this.serial(async () => {
      try {
        await (await this.open()).assertQueue(queue, options);
      } catch (error) {
        if (amqpCode(error) !== 406) throw error;
        this.channel = undefined;
        await (await this.open()).checkQueue(queue);
      }
    });
  }

  /**
   * Declares a topic's direct exchange: not durable (gone after a RabbitMQ restart, when every
   * connection declares it again) and not auto-delete, since a publish to an exchange that does
   * not exist would close the publishing channel, and with it every publish awaiting a confirm.
   */
  assertExchange(exchange: string): Promise<void> {
    return this.serial(async () => {
      await (await this.open()).assertExchange(exchange, "direct", { durable: false, autoDelete: false });
    });
  }

  /** Binds `queue` to `exchange` for `routingKey`. */
  bind(queue: string, exchange: string, routingKey: string): Promise<void> {
    return this.serial(async () => {
      await (await this.open()).bindQueue(queue, exchange, routingKey);
    });
  }

  /** Depth (ready messages) and consumers of `queue`, or undefined when it does not exist. */
  check(queue: string): Promise<AmqpQueueInfo | undefined> {
    return this.serial(async () => {
      try {
        return await (await this.open()).checkQueue(queue);
      } catch (error) {
        if (amqpCode(error) !== 404) throw error;
        this.channel = undefined;
        return undefined;
      }
    });
  }

  private serial<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation, operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private open(): Promise<AmqpChannel> {
    const connection = this.connection;
    if (connection === undefined) return Promise.reject(new Error("rabbitmq: not connected (reconnecting)"));
    const opening: Promise<AmqpChannel> = connection.createChannel().then((channel) => {
      channel.on("error", () => undefined);
      channel.on("close", () => {
        if (this.channel === opening) this.channel = undefined;
      });
      return channel;
    });
    this.channel ??= opening;
    return this.channel;
  }
}
