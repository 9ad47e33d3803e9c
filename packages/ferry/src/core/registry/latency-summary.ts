/**
 * Buckets per doubling of latency: bucket `i` holds latencies up to `floorMs * 2^((i + 1) / 4)`,
 * so a percentile read from a bucket's upper bound is at most 19% (2^(1/4)) above the true value.
 */
const bucketsPerDoubling = 4;

/** The scale's origin, ms: 1 µs. The first bucket holds everything up to 1.19 µs. */
const floorMs = 0.001;

/**
 * Buckets in all: the last one ends at `floorMs * 2^(bucketCount / 4)`, about 68.7 s; anything
 * slower is counted in it (and `maxMs` keeps the true slowest).
 */
const bucketCount = 26 * bucketsPerDoubling;

/** What a `LatencySummary` reports: enough for an average and a tail, in milliseconds. */
export interface LatencySnapshot {
  count: number;
  /** Mean of every recorded latency, ms; 0 when none. */
  averageMs: number;
  /** The 99th percentile, ms, within 19% above the true value (never above `maxMs`); 0 when none. */
  p99Ms: number;
  /** The slowest recorded latency, ms; 0 when none. */
  maxMs: number;
}

/**
 * Latencies of one method since it started being served, in a fixed-size log-scale histogram:
 * 104 counters (832 bytes) however many calls it records, and O(1) per record. Keeping every
 * latency would grow with traffic; a reservoir would lose the tail. The price is resolution:
 * a percentile is known to within one bucket (19%).
 */
export class LatencySummary {
  private readonly buckets = new Float64Array(bucketCount);
  private count = 0;
  private sumMs = 0;
  private maxMs = 0;

  record(latencyMs: number): void {
    // A clock that steps back (or a NaN from a bad subtraction) must not corrupt the sums.
    const value = latencyMs > 0 ? latencyMs : 0;
    this.buckets[bucketOf(value)]!++;
    this.count++;
    this.sumMs += value;
    if (value > this.maxMs) this.maxMs = value;
  }

  /** The value at `quantile` (0 < q <= 1), as its bucket's upper bound capped at the slowest seen. */
  quantile(quantile: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(quantile * this.count));
    let seen = 0;
    for (let bucket = 0; bucket < bucketCount; bucket++) {
      seen += this.buckets[bucket]!;
      // The last bucket is open-ended: its only known bound is the slowest latency seen.
      if (seen >= rank) return bucket === bucketCount - 1 ? this.maxMs : Math.min(upperBoundMs(bucket), this.maxMs);
    }
    return this.maxMs;
  }

  snapshot(): LatencySnapshot {
    return {
      count: this.count,
      averageMs: this.count === 0 ? 0 : this.sumMs / this.count,
      p99Ms: this.quantile(0.99),
      maxMs: this.maxMs,
    };
  }
}

function bucketOf(latencyMs: number): number {
  if (latencyMs <= floorMs) return 0;
  const bucket = Math.ceil(Math.log2(latencyMs / floorMs) * bucketsPerDoubling) - 1;
  return Math.min(Math.max(bucket, 0), bucketCount - 1);
}

function upperBoundMs(bucket: number): number {
  return floorMs * 2 ** ((bucket + 1) / bucketsPerDoubling);
}
