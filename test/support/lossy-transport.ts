import type { Delivery, Transport } from "../../packages/ferry/src/core/transport.js";

/**
 * Wraps a connection and silently loses the first `count` publishes (requests that never reach
 * the broker) or replies (answers that never reach the caller), as a flaky network would.
 */
export function lossy(transport: Transport, lose: { publishes?: number; replies?: number }): Transport & { readonly lost: number } {
  let publishes = lose.publishes ?? 0;
  let replies = lose.replies ?? 0;
  let lost = 0;
  const reply = (queue: string, bytes: Uint8Array): void => {
    if (replies > 0) {
      replies--;
      lost++;
      return;
    }
    transport.reply(queue, bytes);
  };
  return {
    get lost() {
      return lost;
    },
    get state$() {
      return transport.state$;
    },
    publish: (topic, bytes, options) => {
      if (publishes > 0) {
        publishes--;
        lost++;
        return Promise.resolve();
      }
      return transport.publish(topic, bytes, options);
    },
    reply,
    // A reply the server sends with its ack goes through `reply` too, so it can be lost.
    consume: (topic, group, onDelivery, options) => transport.consume(topic, group, (delivery) => onDelivery(withoutAckWithReply(delivery)), options),
    openReplyQueue: () => transport.openReplyQueue(),
    declareTopic: (topic, options) => transport.declareTopic(topic, options),
    stats: () => transport.stats(),
    close: () => transport.close(),
  };
}

/** The same delivery without `ackWithReply`: the server then replies through the transport, then acks. */
function withoutAckWithReply(delivery: Delivery): Delivery {
  if (delivery.ackWithReply === undefined) return delivery;
  return {
    bytes: delivery.bytes,
    topic: delivery.topic,
    partition: delivery.partition,
    offset: delivery.offset,
    deliveryCount: delivery.deliveryCount,
    maxDeliveries: delivery.maxDeliveries,
    key: delivery.key,
    ack: () => delivery.ack(),
    nack: (options) => delivery.nack(options),
    reject: (error) => delivery.reject(error),
  };
}
