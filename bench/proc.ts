// What Linux tells about a process, by pid: CPU time and resident memory from /proc. Works for
// processes the benchmark did not start (rabbitmq's beam.smp) as well as its own children.
import { readdirSync, readFileSync } from "node:fs";

const clockTicksPerSecond = 100; // USER_HZ, 100 on every Linux Node supports

/** User + system CPU time of `pid` so far, ms; NaN once it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond;
  } catch {
    return NaN;
  }
}

/** CPU time the whole machine has spent busy (all but idle and iowait, steal included), ms over all cores. */
export function machineBusyMs(): number {
  const fields = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields as [number, number, number, number, number, number, number, number];
  return ((user + nice + system + irq + softirq + steal) * 1000) / clockTicksPerSecond;
}

/** A `kB` line of /proc/<pid>/status (VmRSS, VmHWM), in MiB; NaN once the process is gone. */
export function statusMiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match === null ? NaN : Number(match[1]) / 1024;
  } catch {
    return NaN;
  }
}

/** The pid of a running process whose command is `comm` and whose command line contains `marker`. */
export function findPid(comm: string, marker: string): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() !== comm) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(marker)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/**
 * Samples the resident memory of a few processes on a timer and keeps each one's peak since the
 * last `reset()`. Sampling (not VmHWM) because brokers outlive a cell: their all-time peak would
 * not say what this cell cost.
 */
export class RssSampler<K extends string> {
  private peaks = new Map<K, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pids: ReadonlyMap<K, number>,
    intervalMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
    for (const [name, pid] of this.pids) {
      const rss = statusMiB(pid, "VmRSS");
      if (!Number.isNaN(rss) && rss > (this.peaks.get(name) ?? 0)) this.peaks.set(name, rss);
    }
  }

  reset(): void {
    this.peaks = new Map();
    this.sample();
  }

  peak(name: K): number {
    return this.peaks.get(name) ?? NaN;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
