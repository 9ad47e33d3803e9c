/**
 * FNV-1a over UTF-16 code units: the partition of a key is `hashKey(key) % partitions` on every
 * transport. Stable across processes and versions, which the partition map relies on.
 */
export function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
