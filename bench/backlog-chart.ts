// The backlog as a hand-written SVG: the broker's RSS and the requests queued, over time, while
// a million requests are published to a stopped server and then drained.
import { formatCount } from "./format.js";
import type { BacklogResult } from "./results.js";

const width = 860;
const height = 320;
const plot = { left: 70, right: width - 90, top: 50, bottom: height - 50 };
const rssColor = "#2f6fb3";
const depthColor = "#e08a2c";

function polyline(points: [number, number][], color: string, dashed: boolean): string {
  const path = points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
  return `<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="6 4"' : ""}/>`;
}

export function renderBacklogChart(backlog: BacklogResult): string {
  const samples = backlog.samples;
  const endMs = Math.max(1, ...samples.map((s) => s.ms));
  const maxRss = Math.max(1, ...samples.map((s) => s.brokerRssMiB));
  const x = (ms: number) => plot.left + (ms / endMs) * (plot.right - plot.left);
  const yRss = (mib: number) => plot.bottom - (mib / maxRss) * (plot.bottom - plot.top);
  const yDepth = (depth: number) => plot.bottom - (depth / backlog.messages) * (plot.bottom - plot.top);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">Ferry TCP broker: ${formatCount(backlog.messages)} requests queued behind a stopped server, then drained</text>`,
    `<text x="12" y="40" fill="#555555"><tspan fill="${rssColor}">broker RSS (MiB, left)</tspan> and <tspan fill="${depthColor}">requests queued (right)</tspan> over seconds</text>`,
    `<line x1="${plot.left}" y1="${plot.bottom}" x2="${plot.right}" y2="${plot.bottom}" stroke="#999999"/>`,
    `<line x1="${plot.left}" y1="${plot.top}" x2="${plot.left}" y2="${plot.bottom}" stroke="#999999"/>`,
    `<line x1="${plot.right}" y1="${plot.top}" x2="${plot.right}" y2="${plot.bottom}" stroke="#999999"/>`,
  ];
  for (const fraction of [0, 0.5, 1]) {
    const y = plot.bottom - fraction * (plot.bottom - plot.top);
    out.push(
      `<text x="${plot.left - 6}" y="${y + 4}" text-anchor="end" fill="${rssColor}">${Math.round(fraction * maxRss)}</text>`,
      `<text x="${plot.right + 6}" y="${y + 4}" fill="${depthColor}">${formatCount(fraction * backlog.messages)}</text>`,
    );
  }
  for (const seconds of [0, endMs / 2000, endMs / 1000]) {
    out.push(`<text x="${x(seconds * 1000)}" y="${plot.bottom + 16}" text-anchor="middle" fill="#555555">${Math.round(seconds)} s</text>`);
  }
  const drainStart = samples.find((s) => s.phase === "drain");
  if (drainStart !== undefined) {
    out.push(
      `<line x1="${x(drainStart.ms)}" y1="${plot.top}" x2="${x(drainStart.ms)}" y2="${plot.bottom}" stroke="#bbbbbb" stroke-dasharray="3 3"/>`,
      `<text x="${x(drainStart.ms) + 4}" y="${plot.top + 12}" fill="#555555">server started</text>`,
    );
  }
  out.push(
    polyline(samples.map((s) => [x(s.ms), yRss(s.brokerRssMiB)]), rssColor, false),
    polyline(samples.map((s) => [x(s.ms), yDepth(s.depth)]), depthColor, true),
    `<text x="12" y="${height - 12}" font-size="11" fill="#777777">${formatCount(backlog.bytesPerMessage)} B of broker RSS per queued ${backlog.payloadBytes} B request; published in ${backlog.publishSeconds} s, drained in ${backlog.drainSeconds} s</text>`,
    "</svg>",
    "",
  );
  return out.join("\n");
}
