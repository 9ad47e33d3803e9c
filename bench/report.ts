// The report of a run: a table of every cell for the terminal, and the README's benchmark
// section (tables of the main comparison, cost growth and backlog) in Markdown.
import { systemInfo, systems, type SystemId } from "./catalog.js";
import { formatBytes, formatCount, formatLatency, formatMiB, formatRatio } from "./format.js";
import { findCell, ratioToRawTcp, type BenchResults, type CellResult } from "./results.js";
import { overheadText } from "./overhead/overhead-report.js";

export const readmeStart = "<!-- bench:start -->";
export const readmeEnd = "<!-- bench:end -->";

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ")).join("\n");
}

function rss(cell: CellResult): string {
  return (["client", "server", "broker"] as const).map((role) => formatMiB(cell.processes[role]?.peakRssMiB)).join(" / ");
}

/** Every cell, one line each, for the terminal. */
export function terminalTable(results: BenchResults): string {
  const rows = [["system", "in flight", "payload", "partitions", "calls/s", "p50", "p99", "p99.9", "cpu µs/call", "vs raw TCP", "peak RSS MiB c/s/b", "other cpu", "errors"]];
  for (const cell of results.cells) {
    if (cell.status !== "ok") {
      rows.push([cell.system, String(cell.inFlight), formatBytes(cell.payloadBytes), cell.partitions === null ? "" : String(cell.partitions), cell.status, "", "", "", "", "", "", "", (cell.reason ?? "").slice(0, 60)]);
      continue;
    }
    rows.push([
      cell.system,
      String(cell.inFlight),
      formatBytes(cell.payloadBytes),
      cell.partitions === null ? "" : String(cell.partitions),
      formatCount(cell.callsPerSecond),
      formatLatency(cell.latencyUs.p50),
      formatLatency(cell.latencyUs.p99),
      formatLatency(cell.latencyUs.p999),
      Number.isFinite(cell.cpuUsPerCall) ? cell.cpuUsPerCall.toFixed(1) : "-",
      formatRatio(ratioToRawTcp(results.cells, cell)),
      rss(cell),
      Number.isFinite(cell.otherCpuPercent) ? `${cell.otherCpuPercent}%` : "-",
      String(cell.errors),
    ]);
  }
  const overhead = overheadText(results.overhead);
  return overhead === undefined ? pad(rows) : `${pad(rows)}\n\n${overhead}`;
}

/** Systems that have a cell in the main comparison, in the catalogue's order. */
function mainSystems(results: BenchResults): SystemId[] {
  return systems.map((system) => system.id).filter((id) => results.cells.some((cell) => cell.system === id && cell.partitions === null));
}

function mainInFlight(results: BenchResults): [number, number] {
  const counts = [...new Set(results.cells.filter((cell) => cell.partitions === null).map((cell) => cell.inFlight))];
  const low = counts.includes(1) ? 1 : Math.min(...counts);
  const high = counts.includes(64) ? 64 : Math.max(...counts);
  return [low, high];
}

function payloads(results: BenchResults): number[] {
  return [...new Set(results.cells.map((cell) => cell.payloadBytes))].sort((a, b) => a - b);
}

const bold = (text: string, on: boolean) => (on ? `**${text}**` : text);
const notOk = (cell: CellResult | undefined) => (cell === undefined ? "not run" : `${cell.status}${cell.reason === undefined ? "" : `: ${cell.reason.replace(/\|/g, "\\|")}`}`);

function mainTable(results: BenchResults, payloadBytes: number): string {
  const [low, high] = mainInFlight(results);
  // A run of one in-flight count gets its detailed columns only, not the same count twice.
  const single = low === high;
  const lines = [
    `| system | ${single ? "" : `${low} in flight | p99 | vs raw TCP | `}${high} in flight | p50 | p99 | p99.9 | vs raw TCP | CPU per call | peak RSS MiB client / server / broker |`,
    `|---|${single ? "" : "--:|--:|--:|"}--:|--:|--:|--:|--:|--:|--:|`,
  ];
  for (const id of mainSystems(results)) {
    const info = systemInfo(id);
    const name = bold(info.label, info.family === "ferry");
    const one = findCell(results.cells, id, low, payloadBytes);
    const many = findCell(results.cells, id, high, payloadBytes);
    if (one?.status !== "ok" && many?.status !== "ok") {
      if (one !== undefined || many !== undefined) lines.push(`| ${name} | ${notOk(one ?? many)} |${" |".repeat(single ? 6 : 9)}`);
      continue;
    }
    const left = one?.status === "ok" ? [`${formatCount(one.callsPerSecond)}/s`, formatLatency(one.latencyUs.p99), formatRatio(ratioToRawTcp(results.cells, one))] : [notOk(one), "", ""];
    const right =
      many?.status === "ok"
        ? [
            `${formatCount(many.callsPerSecond)}/s`,
            formatLatency(many.latencyUs.p50),
            formatLatency(many.latencyUs.p99),
            formatLatency(many.latencyUs.p999),
            formatRatio(ratioToRawTcp(results.cells, many)),
            `${many.cpuUsPerCall.toFixed(0)} µs`,
            rss(many),
          ]
        : [notOk(many), "", "", "", "", "", ""];
    lines.push(`| ${name} | ${(single ? right : [...left, ...right]).join(" | ")} |`);
  }
  return lines.join("\n");
}

function growthTable(results: BenchResults): string | undefined {
  const sweep = results.cells.filter((cell) => cell.partitions === null && cell.payloadBytes === 100);
  const counts = [...new Set(sweep.map((cell) => cell.inFlight))].sort((a, b) => a - b);
  const ids = mainSystems(results).filter((id) => counts.every((count) => findCell(sweep, id, count, 100) !== undefined));
  if (counts.length <= 2 || ids.length === 0) return undefined;
  const lines = [`| system | ${counts.map((count) => `${count} in flight`).join(" | ")} |`, `|---|${counts.map(() => "--:").join("|")}|`];
  for (const id of ids) {
    const cells = counts.map((count) => {
      const cell = findCell(sweep, id, count, 100)!;
      return cell.status === "ok" ? `${formatCount(cell.callsPerSecond)}/s · p99 ${formatLatency(cell.latencyUs.p99)}` : cell.status;
    });
    lines.push(`| ${bold(systemInfo(id).label, systemInfo(id).family === "ferry")} | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

function partitionsTable(results: BenchResults): string | undefined {
  const swept = results.cells.filter((cell) => cell.partitions !== null);
  if (swept.length === 0) return undefined;
  const counts = [...new Set(swept.map((cell) => cell.inFlight))].sort((a, b) => a - b);
  const partitions = [...new Set(swept.map((cell) => cell.partitions!))].sort((a, b) => a - b);
  const system = swept[0]!.system;
  const lines = [`| partitions | ${counts.map((count) => `${count} in flight`).join(" | ")} | peak broker RSS |`, `|--:|${counts.map(() => "--:").join("|")}|--:|`];
  for (const count of partitions) {
    const row = counts.map((inFlight) => {
      const cell = findCell(swept, system, inFlight, 100, count);
      return cell?.status === "ok" ? `${formatCount(cell.callsPerSecond)}/s · p99 ${formatLatency(cell.latencyUs.p99)}` : (cell?.status ?? "-");
    });
    const broker = Math.max(...swept.filter((cell) => cell.partitions === count).map((cell) => cell.processes.broker?.peakRssMiB ?? NaN));
    lines.push(`| ${count} | ${row.join(" | ")} | ${formatMiB(broker)} MiB |`);
  }
  return lines.join("\n");
}

function backlogText(results: BenchResults): string | undefined {
  const backlog = results.backlog;
  if (backlog === null) return undefined;
  if (backlog.status !== "ok") return `Backlog of ${formatCount(backlog.messages)} requests: ${backlog.status}${backlog.reason === undefined ? "" : ` (${backlog.reason})`}.`;
  const m = backlog.brokerRssMiB;
  return [
    `| requests | published in | drained in | broker RSS idle | full | peak | after drain | per queued request | client peak | server peak |`,
    `|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|`,
    `| ${formatCount(backlog.messages)} × ${formatBytes(backlog.payloadBytes)} | ${backlog.publishSeconds} s (${formatCount(backlog.messages / backlog.publishSeconds)}/s) | ${backlog.drainSeconds} s (${formatCount(backlog.messages / backlog.drainSeconds)}/s) | ${formatMiB(m.idle)} MiB | ${formatMiB(m.full)} MiB | ${formatMiB(m.peak)} MiB | ${formatMiB(m.drained)} MiB | ${formatCount(backlog.bytesPerMessage)} B | ${formatMiB(backlog.clientPeakRssMiB)} MiB | ${formatMiB(backlog.serverPeakRssMiB)} MiB |`,
  ].join("\n");
}

/** How busy the rest of the machine was while cells were measured: median and highest, % of all cores. */
export function noiseLine(results: BenchResults): string | undefined {
  const others = results.cells.map((cell) => cell.otherCpuPercent).filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (others.length === 0) return undefined;
  return `Other processes on the machine used ${others[Math.floor(others.length / 2)]}% of its CPU during the median cell, ${others.at(-1)}% at most.`;
}

export function machineLine(results: BenchResults): string {
  const m = results.machine;
  const brokers = [`nats-server ${m.natsServer ?? "not installed"}`, `RabbitMQ ${m.rabbitmq ?? "not reached"}`];
  const packages = Object.entries(m.packages)
    .filter(([, version]) => version !== null)
    .map(([name, version]) => `${name} ${version}`);
  return `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node.replace(/^v/, "")}, ${brokers.join(", ")}; ${packages.join(", ")}`;
}

/** The README's benchmark section, markers included; `files` are paths from the README. */
export function readmeSection(results: BenchResults, files: { json: string; svg?: string; backlogSvg?: string }): string {
  const date = results.started.slice(0, 10);
  const [, high] = mainInFlight(results);
  const noise = noiseLine(results);
  const parts = [
    readmeStart,
    `<!-- written by \`npm run bench -- --readme\`; do not edit by hand -->`,
    `Run of ${date}${results.options.quick ? " (--quick)" : ""} on ${machineLine(results)}. ` +
      `${results.options.seconds} s per cell after ${results.options.warmupSeconds} s of warm-up; the whole run took ${Math.round(results.durationSeconds / 60)} min. ` +
      `${noise === undefined ? "" : `${noise} `}Figures: [\`${files.json}\`](${files.json}).`,
  ];
  if (files.svg !== undefined) parts.push("", `![Calls per second at ${high} in flight, 100 B requests](${files.svg})`);
  for (const bytes of payloads(results)) {
    if (!results.cells.some((cell) => cell.payloadBytes === bytes && cell.partitions === null && cell.inFlight === high)) continue;
    parts.push("", `**${formatBytes(bytes)} requests.**`, "", mainTable(results, bytes));
  }
  const growth = growthTable(results);
  if (growth !== undefined) parts.push("", "**Cost growth with calls in flight** (100 B):", "", growth);
  const partitions = partitionsTable(results);
  if (partitions !== undefined) parts.push("", "**Cost growth with partitions** (Ferry TCP broker, 100 B):", "", partitions);
  const backlog = backlogText(results);
  if (backlog !== undefined) parts.push("", "**Backlog** (Ferry TCP broker: the server stopped while the requests are published, then started):", "", backlog);
  if (files.backlogSvg !== undefined && results.backlog?.status === "ok") parts.push("", `![Broker RSS and queued requests while the backlog builds and drains](${files.backlogSvg})`);
  const overhead = overheadText(results.overhead);
  if (overhead !== undefined) parts.push("", overhead);
  parts.push(readmeEnd);
  return parts.join("\n");
}

/** Puts `section` (markers included) in place of the README's, which must exist. */
export function replaceReadmeSection(readme: string, section: string): string {
  const start = readme.indexOf(readmeStart);
  const end = readme.indexOf(readmeEnd);
  if (start === -1 || end === -1 || end < start) throw new Error(`the README has no ${readmeStart} ... ${readmeEnd} section`);
  return readme.slice(0, start) + section + readme.slice(end + readmeEnd.length);
}

