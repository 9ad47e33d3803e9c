import type { Transport } from "../../packages/ferry/src/core/transport.js";

/**
 * Wraps a transport so a test sees every publish the broker confirmed. It has no
 * `publishRequest`, so a client sends its requests through `publish` as well, and a request's
 * confirm is seen too.
 */
export function confirming(transport: Transport, onConfirmed: (bytes: Uint8Array) => void): Transport {
  return {
    get state$() {
      return transport.state$;
    },
    publish: async (topic, bytes, options) => {
      await transport.publish(topic, bytes, options);
      onConfirmed(bytes);
    },
    consume: (...args) => transport.consume(...args),
    openReplyQueue: () => transport.openReplyQueue(),
    reply: (queue, bytes) => transport.reply(queue, bytes),
    declareTopic: (topic, options) => transport.declareTopic(topic, options),
    stats: () => transport.stats(),
    close: () => transport.close(),
  };
}
