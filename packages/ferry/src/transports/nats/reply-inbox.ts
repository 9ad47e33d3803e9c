import { createInbox, type NatsConnection, type Subscription as NatsSubscription } from "nats";
import { MessageStream } from "../../core/message-stream.js";
import type { ReplyQueue } from "../../core/transport.js";

/**
 * A reply queue on core NATS: one inbox subject and one subscription, whatever the number of
 * calls waiting on it (the runtime's reply router matches replies to calls by correlation id).
 * Like every core subscription it survives reconnects: the client resubscribes.
 */
export function openReplyInbox(nc: NatsConnection, onClose: (queue: ReplyQueue) => void): ReplyQueue {
  const name = createInbox();
  const stream = new MessageStream<Uint8Array>();
  const subscription: NatsSubscription = nc.subscribe(name, {
    callback: (error, msg) => {
      if (error === null) stream.push(msg.data);
    },
  });
  const queue: ReplyQueue = {
    name,
    messages: stream.messages,
    close: () => {
      if (subscription.isClosed()) return;
      subscription.unsubscribe();
      stream.complete();
      onClose(queue);
    },
  };
  return queue;
}
