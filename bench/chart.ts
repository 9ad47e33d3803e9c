// The chart of the main comparison as a hand-written SVG: one bar per system (calls per second
// at one in-flight count and payload), raw TCP first as the reference, each bar labelled with its
// value and its ratio to raw TCP.
import { systemInfo, systems } from "./catalog.js";
import { formatBytes, formatCount, formatRatio } from "./format.js";
import { findCell, ratioToRawTcp, type BenchResults } from "./results.js";
import { machineLine } from "./report.js";

const width = 860;
const labelWidth = 210;
const valueWidth = 150;
const barHeight = 22;
const rowHeight = 32;
const top = 58;
const colors = { baseline: "#8c8c8c", ferry: "#2f6fb3", peer: "#e08a2c" } as const;

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function renderChart(results: BenchResults, inFlight = 64, payloadBytes = 100): string {
  const rows = systems.map((system) => ({ info: system, cell: findCell(results.cells, system.id, inFlight, payloadBytes) })).filter((row) => row.cell !== undefined);
  const max = Math.max(1, ...rows.map((row) => (row.cell!.status === "ok" ? row.cell!.callsPerSecond : 0)));
  const plotWidth = width - labelWidth - valueWidth - 20;
  const height = top + rows.length * rowHeight + 56;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="24" font-size="16" font-weight="bold">${escapeXml(`Calls per second, ${inFlight} in flight, ${formatBytes(payloadBytes)} requests (higher is better)`)}</text>`,
    `<text x="12" y="44" fill="#555555">${escapeXml(`Ferry in blue, peers in orange, raw TCP ping-pong (the practical limit) in grey; ratio to raw TCP in brackets. ${results.started.slice(0, 10)}`)}</text>`,
  ];
  rows.forEach(({ info, cell }, index) => {
    const y = top + index * rowHeight;
    const ok = cell!.status === "ok";
    const barWidth = ok ? Math.max(1, Math.round((cell!.callsPerSecond / max) * plotWidth)) : 0;
    const label = `${escapeXml(systemInfo(info.id).label)}`;
    const value = ok ? `${formatCount(cell!.callsPerSecond)}/s (${formatRatio(ratioToRawTcp(results.cells, cell!))})` : cell!.status;
    out.push(
      `<text x="${labelWidth - 10}" y="${y + barHeight / 2 + 5}" text-anchor="end"${info.family === "ferry" ? ' font-weight="bold"' : ""}>${label}</text>`,
      `<rect x="${labelWidth}" y="${y}" width="${barWidth}" height="${barHeight}" fill="${colors[info.family]}"/>`,
      `<text x="${labelWidth + barWidth + 8}" y="${y + barHeight / 2 + 5}" fill="#222222">${escapeXml(value)}</text>`,
    );
  });
  // The machine on two lines: the hardware and Node, then the brokers' and clients' versions.
  const [hardware, versions] = machineLine(results).split("; ");
  out.push(
    `<text x="12" y="${height - 26}" font-size="11" fill="#777777">${escapeXml(hardware ?? "")}</text>`,
    `<text x="12" y="${height - 11}" font-size="11" fill="#777777">${escapeXml(versions ?? "")}</text>`,
    "</svg>",
    "",
  );
  return out.join("\n");
}
