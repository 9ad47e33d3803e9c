/**
 * The op code a frame starts with. Client and broker ops are numbered apart (1-19 and 20-29), so
 * a frame sent the wrong way is recognised as such.
 */
export const Op = {
  // client -> broker
  Hello: 1,
  Publish: 2,
  Consume: 3,
  Unsubscribe: 4,
  Ack: 5,
  Nack: 6,
  Reject: 7,
  OpenReplyQueue: 8,
  CloseReplyQueue: 9,
  Reply: 10,
  DeclareTopic: 11,
  Stats: 12,
  Ping: 13,
  ReplyAck: 14,
  Browse: 15,
  Remove: 16,
  // broker -> client
  Welcome: 20,
  Ok: 21,
  Error: 22,
  Delivery: 23,
  ReplyMessage: 24,
  Pong: 25,
  Fatal: 26,
  Confirmed: 27,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

/** The name of an op code (`Publish`), or the number itself if it is none: errors and logs say which op without a table to read. */
export function opName(op: number): string {
  for (const [name, code] of Object.entries(Op)) if (code === op) return name;
  return String(op);
}
