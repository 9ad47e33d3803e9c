/**
 * A copy of `bytes` that does not keep the socket chunk they arrived in alive. Bytes decoded
 * from a frame are a view of that chunk (64 KiB, typically): a message kept as such a view would
 * hold the whole chunk for as long as it waits in a queue. Small copies come from Node's shared
 * 8 KiB buffer pool, so a queued message costs its bytes plus one small view object, and pins at
 * most one pool slab.
 */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  return Buffer.from(bytes);
}
