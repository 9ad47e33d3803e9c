import { expect } from "chai";
import { readmeEnd, readmeSection, readmeStart, replaceReadmeSection, terminalTable } from "../../bench/report.js";
import { fixtureResults } from "./fixture.js";

const files = { json: "bench/results/2026-11-24T10-00-00.json", svg: "bench/results/2026-11-24T10-00-00.svg" };

describe("bench README section", () => {
  const section = readmeSection(fixtureResults, files);
  const lines = section.split("\n");

  it("sits between the markers", () => {
    expect(lines[0]).to.equal(readmeStart);
    expect(lines.at(-1)).to.equal(readmeEnd);
  });

  it("names the machine, the versions and the results file", () => {
    expect(section).to.include("Run of 2026-11-24 on AMD EPYC, 2 cores, 24 GiB, Linux 6.1, Node 20.20.2, nats-server v2.9.10, RabbitMQ not reached");
    expect(section).to.include("nats 2.29.3, amqplib 0.10.9, moleculer 0.14.36, msgpackr 2.1.3");
    expect(section).to.include(`[\`${files.json}\`](${files.json})`);
    expect(section).to.include(`![Calls per second at 64 in flight, 100 B requests](${files.svg})`);
  });

  it("says how busy the rest of the machine was", () => {
    expect(section).to.include("Other processes on the machine used 30% of its CPU during the median cell, 30% at most.");
  });

  it("has a row per system and payload with calls/s, p99 and the ratio to raw TCP", () => {
    expect(lines).to.include("| **Ferry TCP broker** | 4,000/s | 5.1 ms | 0.40x | 50,000/s | 1.0 ms | 5.1 ms | 9.0 ms | 0.25x | 27 µs | 80 / 70 / 62 |");
    expect(lines).to.include("| **Ferry TCP broker** | 2,000/s | 5.1 ms | 0.25x | 10,000/s | 1.0 ms | 5.1 ms | 9.0 ms | 0.25x | 27 µs | 80 / 70 / 62 |");
    expect(lines).to.include("| raw TCP ping-pong | 10,000/s | 5.1 ms | 1.00x | 200,000/s | 1.0 ms | 5.1 ms | 9.0 ms | 1.00x | 27 µs | 80 / 70 / - |");
    expect(lines.filter((line) => line.startsWith("| nats.js muxed inbox |"))).to.have.length(2);
  });

  it("shows one group of columns when the run measured one in-flight count", () => {
    const only64 = { ...fixtureResults, cells: fixtureResults.cells.filter((cell) => cell.inFlight === 64 && cell.partitions === null) };
    const single = readmeSection(only64, files).split("\n");
    expect(single).to.include("| system | 64 in flight | p50 | p99 | p99.9 | vs raw TCP | CPU per call | peak RSS MiB client / server / broker |");
    expect(single).to.include("| **Ferry TCP broker** | 50,000/s | 1.0 ms | 5.1 ms | 9.0 ms | 0.25x | 27 µs | 80 / 70 / 62 |");
    expect(single).to.include("| RabbitMQ amqplib | skipped: RabbitMQ is not reachable at 127.0.0.1:5672 | | | | | | |");
  });

  it("has no chart of calls when the run measured none (the overhead part alone)", () => {
    const section = readmeSection({ ...fixtureResults, cells: [] }, { json: files.json });
    expect(section).not.to.include("![Calls per second");
    expect(section).not.to.include("Infinity");
  });

  it("reports a skipped peer as skipped, with the reason", () => {
    expect(lines).to.include("| RabbitMQ amqplib | skipped: RabbitMQ is not reachable at 127.0.0.1:5672 | | | | | | | | | |");
  });

  it("tables the partitions sweep and the backlog", () => {
    expect(lines).to.include("| 64 | 45,000/s · p99 5.1 ms | 62 MiB |");
    expect(section).to.include("| 1,000,000 × 100 B | 25 s (40,000/s) | 20 s (50,000/s) | 54 MiB | 530 MiB | 700 MiB | 690 MiB | 499 B | 900 MiB | 120 MiB |");
  });

  it("replaces only what is between the markers of a README", () => {
    const readme = `# Ferry\n\n## Benchmark\n\nintro\n\n${readmeStart}\nold\n${readmeEnd}\n\n## Layout\n`;
    expect(replaceReadmeSection(readme, `${readmeStart}\nnew\n${readmeEnd}`)).to.equal(`# Ferry\n\n## Benchmark\n\nintro\n\n${readmeStart}\nnew\n${readmeEnd}\n\n## Layout\n`);
  });

  it("refuses a README without the markers", () => {
    expect(() => replaceReadmeSection("# Ferry\n", section)).to.throw(/bench:start/);
  });
});

describe("bench terminal table", () => {
  it("prints a header and one line per cell", () => {
    const lines = terminalTable(fixtureResults).split("\n");
    expect(lines).to.have.length(fixtureResults.cells.length + 1);
    expect(lines[0]).to.match(/^system\s+in flight\s+payload/);
    expect(lines.find((line) => line.startsWith("ferry-tcp ") && line.includes("50,000"))).to.include("0.25x");
  });
});
