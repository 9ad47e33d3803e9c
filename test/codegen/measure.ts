// Measures codegen and validator cost; not a test. Run: npx tsc -p . && node dist/test/codegen/measure.js
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CodegenSession } from "../../codegen/index.js";
import { validatePlaceRequest } from "../../examples/services/generated/orders.validators.js";
import { repoRoot, tempDir } from "./support.js";

function time<T>(run: () => T): { ms: number; value: T } {
  const started = performance.now();
  const value = run();
  return { ms: performance.now() - started, value };
}

function writeServices(dir: string, count: number): void {
  mkdirSync(join(dir, "src"), { recursive: true });
  for (let i = 0; i < count; i++) {
    writeFileSync(join(dir, `src/types-${i}.ts`), `export interface Item${i} { sku: string; qty: number; tags: string[]; at?: Date }\nexport type Status${i} = "ok" | "late" | null;\n`);
    writeFileSync(
      join(dir, `src/service-${i}.ts`),
      `import type { Item${i}, Status${i} } from "./types-${i}.js";\n/** Service ${i}. */\nexport interface Service${i} {\n  /** @key id @idempotent @timeout 2s */\n  put(req: { id: string; items: Item${i}[] }): Promise<Status${i}>;\n  get(req: { id: string }): Promise<Item${i}[] | null>;\n  /** @event */\n  changed(evt: { id: string; at: Date }): Promise<void>;\n}\n`,
    );
  }
}

function measureCodegen(count: number): void {
  const { dir, remove } = tempDir(`measure-${count}`);
  try {
    writeServices(dir, count);
    const session = new CodegenSession({ files: ["src/*.ts"], outDir: "gen", cwd: dir });
    const cold = time(() => session.run());
    if (cold.value.diagnostics.length > 0 || cold.value.services.length !== count) throw new Error("unexpected diagnostics");
    // Watch mode: one types file changes, the session refreshes it and regenerates everything.
    const samples: number[] = [];
    for (let round = 0; round < 5; round++) {
      writeFileSync(join(dir, "src/types-0.ts"), `export interface Item0 { sku: string; qty: number; tags: string[]; at?: Date; round${round}?: number }\nexport type Status0 = "ok" | "late" | null;\n`);
      samples.push(time(() => (session.refresh([join(dir, "src/types-0.ts")]), session.run())).ms);
    }
    samples.sort((a, b) => a - b);
    console.log(`${count} services: cold ${cold.ms.toFixed(0)} ms (${cold.value.files.length} files), watch-mode regeneration after one change: median ${samples[2]!.toFixed(0)} ms`);
  } finally {
    remove();
  }
}

function measureValidator(): void {
  const valid = { orderId: "o-1", customerId: "c-1", items: [{ sku: "a", qty: 1 }, { sku: "b", qty: 2 }, { sku: "c", qty: 3 }], deliverBy: new Date(), note: "n" };
  const invalid = { ...valid, items: [{ sku: "a", qty: "1" }] };
  for (const [label, value] of [["valid PlaceOrder (3 items)", valid], ["invalid PlaceOrder (1 issue)", invalid]] as const) {
    let sink = 0;
    for (let i = 0; i < 200_000; i++) sink += validatePlaceRequest(value).length; // warm up
    const calls = 5_000_000;
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) sink += validatePlaceRequest(value).length;
    const ns = Number(process.hrtime.bigint() - started) / calls;
    console.log(`validatePlaceRequest, ${label}: ${ns.toFixed(1)} ns/call (${sink > 0 ? "issues found" : "no issues"})`);
  }
}

console.log(`repo ${repoRoot}, node ${process.version}`);
// Each count in its own process is a truly cold run: `node dist/test/codegen/measure.js 50`.
const counts = process.argv.slice(2).map(Number);
for (const count of counts.length > 0 ? counts : [1, 50]) measureCodegen(count);
if (counts.length === 0) measureValidator();
