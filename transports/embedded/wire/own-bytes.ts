/**
 * A copy of `bytes` in a buffer of its own. Bytes decoded from a frame are a view of the socket
 * chunk they arrived in (64 KiB, typically): a message kept as such a view would keep the whole
 * chunk alive for as long as it waits in a queue.
 */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
