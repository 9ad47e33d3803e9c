// `npm run bench`: measures Ferry on every transport and its peers in one run, writes
// bench/results/<date>.json and .svg, prints the table and the README section (and with
// `--readme` writes that section into the README). `--help` lists the options.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, usage, UsageError } from "./args.js";
import { renderBacklogChart } from "./backlog-chart.js";
import { renderChart } from "./chart.js";
import { readmeSection, replaceReadmeSection, terminalTable } from "./report.js";
import type { BenchResults } from "./results.js";
import { runBench } from "./run.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const readmePath = join(root, "README.md");

/**
 * Writes the charts beside the results file: <name>.svg when the run measured calls (not, say,
 * the overhead part alone) and, with a backlog, <name>-backlog.svg.
 */
function writeCharts(results: BenchResults, json: string): { svg?: string; backlogSvg?: string } {
  const charts: { svg?: string; backlogSvg?: string } = {};
  if (results.cells.length > 0) {
    charts.svg = json.replace(/\.json$/, ".svg");
    writeFileSync(charts.svg, renderChart(results));
  }
  if (results.backlog?.status === "ok") {
    charts.backlogSvg = json.replace(/\.json$/, "-backlog.svg");
    writeFileSync(charts.backlogSvg, renderBacklogChart(results.backlog));
  }
  return charts;
}

function report(results: BenchResults, json: string, charts: { svg?: string; backlogSvg?: string }, writeReadme: boolean): void {
  const section = readmeSection(results, {
    json: relative(root, json),
    ...(charts.svg === undefined ? {} : { svg: relative(root, charts.svg) }),
    ...(charts.backlogSvg === undefined ? {} : { backlogSvg: relative(root, charts.backlogSvg) }),
  });
  console.log(`\n${terminalTable(results)}\n\nREADME section:\n\n${section}\n`);
  if (writeReadme) {
    writeFileSync(readmePath, replaceReadmeSection(readFileSync(readmePath, "utf8"), section));
    console.log(`wrote the benchmark section of ${readmePath}`);
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(usage);
    return 0;
  }
  const options = parseArgs(argv);
  if (options.render !== undefined) {
    const results = JSON.parse(readFileSync(options.render, "utf8")) as BenchResults;
    report(results, options.render, writeCharts(results, options.render), options.readme);
    return 0;
  }
  const results = await runBench(options);
  const outDir = options.outDir ?? (options.quick ? join(tmpdir(), "ferry-bench") : join(root, "bench", "results"));
  mkdirSync(outDir, { recursive: true });
  const name = results.started.slice(0, 19).replace(/:/g, "-");
  const json = join(outDir, `${name}.json`);
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
  const charts = writeCharts(results, json);
  console.log(`wrote ${[json, charts.svg, charts.backlogSvg].filter(Boolean).join(", ")}`);
  report(results, json, charts, options.readme);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: Error) => {
    process.stderr.write(error instanceof UsageError ? `ferry bench: ${error.message}\n${usage}\n` : `ferry bench: ${error.stack ?? error.message}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
