import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatDiagnostic, generate } from "../../packages/codegen/src/index.js";
import { cliPath, tempDir } from "./support.js";

/** Generates from one in-memory-looking file and returns `line:col message` of each diagnostic. */
function diagnose(source: string, extraFiles: Record<string, string> = {}): string[] {
  const { dir, remove } = tempDir("diag");
  try {
    writeFileSync(join(dir, "service.ts"), source);
    for (const [name, text] of Object.entries(extraFiles)) writeFileSync(join(dir, name), text);
    const result = generate({ files: ["service.ts"], outDir: "out", cwd: dir });
    expect(result.files).to.deep.equal([]);
    return result.diagnostics.map((diagnostic) => formatDiagnostic(diagnostic, dir));
  } finally {
    remove();
  }
}

describe("codegen diagnostics", () => {
  it("rejects any, pointing at the property", () => {
    expect(diagnose(`export interface S {\n  m(req: { a: any }): Promise<void>;\n}\n`)).to.deep.equal(["service.ts:2:12 S.m: req.a is any: declare its type (unknown accepts anything)"]);
  });

  it("rejects functions", () => {
    expect(diagnose(`export interface S {\n  m(req: { done: () => void }): Promise<void>;\n}\n`)).to.deep.equal(["service.ts:2:12 S.m: req.done is a function: functions cannot be sent"]);
  });

  it("rejects Map, Set and typed arrays other than Uint8Array, in the file that declares them", () => {
    const types = `export interface Stock {\n  bySku: Map<string, number>;\n  seen: Set<string>;\n  samples: Float64Array;\n}\n`;
    expect(diagnose(`import type { Stock } from "./types.js";\nexport interface S {\n  m(req: Stock): Promise<void>;\n}\n`, { "types.ts": types })).to.deep.equal([
      "types.ts:2:3 S.m: req.bySku: Map is not supported (msgpack decodes it as a plain object); use Record<string, T> or an array of entries",
      "types.ts:3:3 S.m: req.seen: Set is not supported (msgpack does not round-trip it); use an array",
      "types.ts:4:3 S.m: req.samples: Float64Array is not supported (only Uint8Array travels as bytes)",
    ]);
  });


  it("rejects an unnamed recursive type", () => {
    const source = `declare function make(): { self: Looped | null };\ntype Looped = ReturnType<typeof make>;\nexport interface S {\n  m(req: Looped): Promise<void>;\n}\n`;
    expect(diagnose(source)).to.deep.equal(["service.ts:1:28 S.m: req.self is an unnamed recursive type: declare it as a named interface or type alias"]);
  });

  it("rejects a class as a field type: an instance arrives as a plain object, without its prototype", () => {
    const source = `export class Money {\n  cents = 0;\n  currency = "EUR";\n}\nexport interface S {\n  m(req: { price: Money }): Promise<Money[]>;\n}\n`;
    const problem = "is an instance of class Money, which arrives as a plain object (no prototype: instanceof, methods and getters do not survive); declare its fields as an interface or type alias";
    expect(diagnose(source)).to.deep.equal([`service.ts:6:12 S.m: req.price ${problem}`, `service.ts:6:37 S.m: res[] ${problem}`]);
  });

  it("rejects a template literal placeholder it cannot check, rather than check it loosely", () => {
    expect(diagnose(`export interface S {\n  m(req: { code: \`\${Uppercase<Lowercase<string>>}-x\` }): Promise<void>;\n}\n`)).to.deep.equal([
      "service.ts:2:12 S.m: req.code has template literal type `${Uppercase<Lowercase<string>>}-x`, with a placeholder codegen cannot check (it checks ${string}, ${number}, ${bigint} and Uppercase, Lowercase, Capitalize or Uncapitalize of string)",
    ]);
  });

  it("rejects an unknown tag, at the tag", () => {
    expect(diagnose(`export interface S {\n  /** @idempotent @retry 3 */\n  m(req: { a: string }): Promise<void>;\n}\n`)).to.deep.equal([
      "service.ts:2:19 S.m: unknown tag @retry (known: @idempotent, @timeout, @retries, @key, @event, @durable)",
    ]);
  });

  it("rejects a @key naming a missing field, or one that is not a scalar", () => {
    const source = `export interface S {\n  /** @key orderID */\n  m(req: { orderId: string }): Promise<void>;\n  /** @key customer */\n  n(req: { customer: { id: string } }): Promise<void>;\n}\n`;
    expect(diagnose(source)).to.deep.equal([
      "service.ts:2:7 S.m: @key orderID: req has no field orderID (fields: orderId)",
      "service.ts:4:7 S.n: @key customer: req.customer must be a string, number, bigint or boolean to serve as a key",
    ]);
  });

  it("rejects malformed tag values and tags an @event cannot have", () => {
    const source = `export interface S {\n  /** @timeout soon @retries -1 */\n  m(req: { a: string }): Promise<void>;\n  /** @event @timeout 1s */\n  e(req: { a: string }): Promise<string>;\n}\n`;
    expect(diagnose(source)).to.deep.equal([
      'service.ts:2:7 S.m: @timeout needs a positive duration such as 500ms, 2s or 1m, got "soon"',
      'service.ts:2:21 S.m: @retries needs a whole number, got "-1"',
      "service.ts:4:14 S.e: @timeout does not apply to an @event (events get no reply)",
      "service.ts:5:34 S.e is an @event and must return Promise<void>; events get no reply",
    ]);
  });

  it("refuses on a stream each tag that has no meaning there, saying why, and keeps @timeout and @key", () => {
    const source = [
      "export interface S {",
      "  /** @retries 2 @idempotent @durable @event */",
      "  rows(req: { id: string }): AsyncIterable<{ n: number }>;",
      "  /** @timeout 2s @key id */",
      "  fine(req: { id: string }): AsyncIterable<{ n: number }>;",
      "}",
      "",
    ].join("\n");
    expect(diagnose(source)).to.deep.equal([
      "service.ts:2:7 S.rows: @retries does not apply to a stream (a method returning AsyncIterable): a stream is never retried: its caller may hold items already, and a second run would send them again",
      "service.ts:2:18 S.rows: @idempotent does not apply to a stream (a method returning AsyncIterable): a stream has no single reply to store and replay",
      "service.ts:2:30 S.rows: @durable does not apply to a stream (a method returning AsyncIterable): a stream's caller waits for its items now, so its request is never stored for a server to come",
      "service.ts:2:39 S.rows: @event does not apply to a stream (a method returning AsyncIterable): an event gets no reply, and a stream replies with items",
    ]);
  });

  it("refuses a stream of void: its items must carry values", () => {
    expect(diagnose(`export interface S {\n  ticks(): AsyncIterable<void>;\n}\n`)).to.deep.equal(["service.ts:2:26 S.ticks streams void: a stream's items carry values"]);
  });

  it("rejects more than one parameter", () => {
    expect(diagnose(`export interface S {\n  m(a: string, b: number): Promise<void>;\n}\n`)).to.deep.equal(["service.ts:2:16 S.m takes 2 parameters; a method takes one request object (or none)"]);
  });

  it("reports TypeScript's own errors, such as an import that does not resolve", () => {
    expect(diagnose(`import type { Missing } from "./nowhere.js";\nexport interface S {\n  m(req: Missing): Promise<void>;\n}\n`)).to.deep.equal([
      "service.ts:1:30 Cannot find module './nowhere.js' or its corresponding type declarations.",
      "service.ts:3:10 S.m: req is any: declare its type (unknown accepts anything)",
    ]);
  });

  it("the CLI prints file:line:col diagnostics, writes nothing and exits 2", () => {
    const { dir, remove } = tempDir("diag-cli");
    try {
      mkdirSync(join(dir, "src"));
      writeFileSync(join(dir, "src/service.ts"), `export interface S {\n  m(req: { a: any }): Promise<void>;\n}\n`);
      const run = spawnSync(process.execPath, [cliPath, "codegen", "src/*.ts", "--out", "gen"], { cwd: dir, encoding: "utf8" });
      expect(run.status).to.equal(2);
      expect(run.stderr).to.include("src/service.ts:2:12 S.m: req.a is any");
      expect(spawnSync("ls", [dir], { encoding: "utf8" }).stdout).not.to.include("gen");
    } finally {
      remove();
    }
  });
});
