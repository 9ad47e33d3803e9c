// Measures codegen and validator cost; not a test. Run: npx tsc -p . && node dist/test/codegen/measure.js
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { decodeCounted, encodeValue } from "../../packages/ferry/src/core/wire/codec.js";
import { CodegenSession } from "../../packages/codegen/src/index.js";
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

type PlaceValidator = (value: unknown, strict?: boolean, mapEntries?: number) => readonly { path: string }[];

/** ns per call of `validate` on `value`, over `calls` calls (after a warm-up done by the caller). */
function nsPerCall(validate: PlaceValidator, value: unknown, mapEntries: number | undefined, calls: number): number {
  let sink = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) sink += validate(value, false, mapEntries).length;
  if (sink !== 0) throw new Error("the request should be valid");
  return Number(process.hrtime.bigint() - started) / calls;
}

/**
 * A valid PlaceOrder as the server validates it: decoded from msgpack, with the decoder's count of
 * map entries. With `--against <validators.js>` (another build of orders.validators.js, e.g. from
 * before a change), the two alternate in rounds (A B A B ...) so both see the same machine load,
 * and each reports its median.
 */
async function measureValidator(against: string | undefined, rounds: number): Promise<void> {
  const literal = { orderId: "o-1", customerId: "c-1", items: [{ sku: "a", qty: 1 }, { sku: "b", qty: 2 }, { sku: "c", qty: 3 }], deliverBy: new Date(), note: "n" };
  const { value, mapEntries } = decodeCounted(encodeValue(literal));
  const candidates: [string, PlaceValidator][] = [["this build", validatePlaceRequest]];
  if (against !== undefined) candidates.push([against, ((await import(pathToFileURL(resolve(against)).href)) as { validatePlaceRequest: PlaceValidator }).validatePlaceRequest]);
  const samples = candidates.map((): number[] => []);
  for (const [, validate] of candidates) nsPerCall(validate, value, mapEntries, 300_000);
  for (let round = 0; round < rounds; round++) candidates.forEach(([, validate], index) => samples[index]!.push(nsPerCall(validate, value, mapEntries, 2_000_000)));
  candidates.forEach(([label, validate], index) => {
    const sorted = [...samples[index]!].sort((a, b) => a - b);
    console.log(`validatePlaceRequest (${label}), valid PlaceOrder of 3 items as decoded: median ${sorted[Math.floor(rounds / 2)]!.toFixed(1)} ns/call over ${rounds} rounds (${samples[index]!.map((ns) => ns.toFixed(0)).join(" ")})`);
    if (index === 0) {
      // Without the count (a caller that has none), every object's keys are visited.
      nsPerCall(validate, value, undefined, 300_000);
      console.log(`  without mapEntries, every key visited: ${nsPerCall(validate, value, undefined, 2_000_000).toFixed(1)} ns/call`);
    }
  });
}

console.log(`repo ${repoRoot}, node ${process.version}`);
// `measure.js 1 50`: codegen only, each count best in its own process (a truly cold run).
// `measure.js --validator [--against <old orders.validators.js>] [--rounds 9]`: the validator only.
const args = process.argv.slice(2);
const option = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
if (args.includes("--validator")) await measureValidator(option("--against"), Number(option("--rounds") ?? 9));
else {
  const counts = args.map(Number);
  for (const count of counts.length > 0 ? counts : [1, 50]) measureCodegen(count);
  if (counts.length === 0) await measureValidator(undefined, 5);
}
