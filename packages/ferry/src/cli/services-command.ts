import type { ServiceInfo } from "../core/registry/service-info.js";
import type { CommandRun } from "./commands.js";
import { connectFromFlags, discoveryOptionsFromFlags } from "./cli-runtime.js";

/** `ferry services`: every service running on a broker, with each instance and per method its counts, latency and last error. */
export const servicesCommand: CommandRun = async ({ strings, booleans }) => {
  const options = discoveryOptionsFromFlags(strings);
  const ferry = await connectFromFlags(strings);
  try {
    const services = await ferry.services(options);
    process.stdout.write(booleans.has("json") ? `${JSON.stringify(services, null, 2)}\n` : formatServices(services));
  } finally {
    await ferry.close();
  }
  return 0;
};

/** Per service, a line per instance, then a row per method, aligned. */
export function formatServices(services: readonly ServiceInfo[]): string {
  if (services.length === 0) return "no service answered\n";
  const lines: string[] = [];
  for (const service of services) {
    lines.push(`${service.name}  (${service.instances.length} instance${service.instances.length === 1 ? "" : "s"})`);
    for (const instance of service.instances) {
      lines.push(`  instance ${instance.instanceId}  ${instance.host}  pid ${instance.pid}  group ${instance.group}  started ${new Date(instance.startedAt).toISOString()}`);
      lines.push(`  schema ${instance.schemaHash}`);
      const header = ["method", "kind", "handled", "errors", "avg ms", "p99 ms", "last error"];
      const rows = instance.methods.map((method) => [
        method.name,
        method.kind,
        String(method.handled),
        String(method.errors),
        method.averageMs.toFixed(3),
        method.p99Ms.toFixed(3),
        method.lastError === undefined ? "-" : `${method.lastError.code}: ${method.lastError.message} (${new Date(method.lastError.at).toISOString()})`,
      ]);
      const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
      const line = (cells: string[]) => `    ${cells.map((cell, column) => (column < 2 || column === 6 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ").trimEnd()}`;
      lines.push(line(header), ...rows.map(line));
    }
    lines.push("");
  }
  return `${lines.join("\n")}`;
}
