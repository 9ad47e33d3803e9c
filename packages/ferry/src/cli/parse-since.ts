import { UsageError } from "./cli-errors.js";

const unitMs: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `--since`: a date or time as `Date.parse` reads it (`2026-11-30`, `2026-11-30T10:00:00Z`), or a
 * duration back from `now` (`90s`, `15m`, `2h`, `7d`). Anything else is a `UsageError` naming it.
 */
export function parseSince(text: string, now: number): Date {
  const relative = /^(\d{1,9})([smhd])$/.exec(text);
  if (relative !== null) return new Date(now - Number(relative[1]) * unitMs[relative[2]!]!);
  const parsed = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(parsed)) throw new UsageError(`--since must be a date and time (2026-11-30T10:00:00Z) or a duration ago (90s, 15m, 2h, 7d), got ${JSON.stringify(text)}`);
  return new Date(parsed);
}
