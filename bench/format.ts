// How figures are written in the progress line, the tables and the chart.

/** 52311 -> "52,311" */
export function formatCount(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "-";
}

/** Latency: "412 µs" below a millisecond, "5.1 ms" above. */
export function formatLatency(us: number): string {
  if (!Number.isFinite(us)) return "-";
  if (us < 1000) return `${Math.round(us)} µs`;
  return `${(us / 1000).toFixed(us < 10_000 ? 1 : 0)} ms`;
}

/** Payload sizes: "100 B", "16 KiB". */
export function formatBytes(bytes: number): string {
  return bytes >= 1024 && bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`;
}

/** A ratio to the baseline: "0.29x"; "-" when there is none. */
export function formatRatio(ratio: number | undefined): string {
  return ratio === undefined ? "-" : `${ratio.toFixed(2)}x`;
}

export function formatMiB(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? "-" : `${Math.round(value)}`;
}
