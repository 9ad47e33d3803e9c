// What every system carries: msgpack of {a, b, note} padded to an exact size, answered by {sum}.
import { pack } from "msgpackr";

export interface AddRequest {
  a: number;
  b: number;
  note: string;
}

export interface AddReply {
  sum: number;
}

/** The request sizes measured: the peers' 100 bytes, and 16 KiB. */
export const defaultPayloadBytes = [100, 16 * 1024] as const;

const text = "the quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnopqrstuvwxyz. ";

/**
 * The note that makes a request exactly `bytes` long in msgpackr's default encoding, which the
 * peers send (Ferry's codec writes the same object 2 bytes shorter: a fixmap header, not map16). `a` and `b` are never integers
 * (i + 0.25, 1.5), so msgpack keeps them as 9-byte float64 and every request has the same size.
 */
export function noteFor(bytes: number): string {
  const overhead = pack({ a: 0.25, b: 1.5, note: "" }).length;
  // The string header grows from 1 to 3 to 5 bytes with the length: try the lengths around the estimate.
  for (let length = Math.max(0, bytes - overhead - 4); length <= bytes - overhead; length++) {
    const note = text.repeat(Math.ceil(length / text.length) + 1).slice(0, length);
    if (pack({ a: 0.25, b: 1.5, note }).length === bytes) return note;
  }
  throw new Error(`no note pads the request to exactly ${bytes} bytes`);
}

export function addRequest(i: number, note: string): AddRequest {
  return { a: i + 0.25, b: 1.5, note };
}

/** What the reply to `addRequest(i, ...)` must hold: every load checks it. */
export function expectedSum(i: number): number {
  return i + 1.75;
}

/** The whole "business logic" of every server. */
export function add(request: AddRequest): AddReply {
  return { sum: request.a + request.b };
}
