import type { Transport } from "../../core/transport.js";

/**
 * Wraps a connection and silently loses the first `count` publishes (requests that never reach
 * the broker) or replies (answers that never reach the caller), as a flaky network would.
 */
export function lossy(transport: Transport, lose: { publishes?: number; replies?: number }): Transport & { readonly lost: number } {
  let publishes = lose.publishes ?? 0;
  let replies = lose.replies ?? 0;
  let lost = 0;
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
    reply: (queue, bytes) => {
      if (replies > 0) {
        replies--;
        lost++;
        return;
      }
      transport.reply(queue, bytes);
    },
    consume: (topic, group, onDelivery, options) => transport.consume(topic, group, onDelivery, options),
    openReplyQueue: () => transport.openReplyQueue(),
    declareTopic: (topic, options) => transport.declareTopic(topic, options),
    stats: () => transport.stats(),
    close: () => transport.close(),
  };
}
