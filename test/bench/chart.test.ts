import { expect } from "chai";
import { renderBacklogChart } from "../../bench/backlog-chart.js";
import { renderChart } from "../../bench/chart.js";
import { fixtureResults } from "./fixture.js";

describe("bench chart", () => {
  const svg = renderChart(fixtureResults);
  const bars = [...svg.matchAll(/<rect x="(\d+)" y="(\d+)" width="(\d+)" height="22" fill="(#[0-9a-f]+)"\/>/g)].map((m) => ({ y: Number(m[2]), width: Number(m[3]), fill: m[4] }));

  it("is one standalone SVG document", () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).to.equal(true);
    expect(svg.trimEnd().endsWith("</svg>")).to.equal(true);
  });

  it("draws a bar per system of the 64-in-flight, 100 B comparison, raw TCP first", () => {
    expect(bars).to.have.length(5);
    expect(bars[0]!.fill).to.equal("#8c8c8c");
    expect(bars.map((bar) => bar.y)).to.deep.equal([...bars.map((bar) => bar.y)].sort((a, b) => a - b));
  });

  it("scales bars to the fastest system", () => {
    const [tcp, inProcess, ferryTcp] = bars;
    expect(tcp!.width).to.be.greaterThan(inProcess!.width);
    expect(ferryTcp!.width / tcp!.width).to.be.closeTo(0.25, 0.01);
  });

  it("labels each bar with calls/s and the ratio to raw TCP, and a skipped system as skipped", () => {
    expect(svg).to.include(">50,000/s (0.25x)</text>");
    expect(svg).to.include(">200,000/s (1.00x)</text>");
    expect(svg).to.match(/>skipped<\/text>/);
    expect(bars[4]!.width).to.equal(0);
  });

  it("escapes text for XML", () => {
    const odd = { ...fixtureResults, machine: { ...fixtureResults.machine, cpuModel: 'Fast & "Furious" <CPU>' } };
    expect(renderChart(odd)).to.include("Fast &amp; &quot;Furious&quot; &lt;CPU&gt;");
  });
});

describe("bench backlog chart", () => {
  const svg = renderBacklogChart(fixtureResults.backlog!);

  it("draws the broker's RSS and the queue depth as two lines over the samples", () => {
    const lines = [...svg.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1]!.split(" "));
    expect(lines).to.have.length(2);
    expect(lines.map((points) => points.length)).to.deep.equal([3, 3]);
  });

  it("marks when the server started and states the cost per queued request", () => {
    expect(svg).to.include("499 B of broker RSS per queued 100 B request; published in 25 s, drained in 20 s");
    expect(svg).to.include("1,000,000 requests queued behind a stopped server");
  });
});
