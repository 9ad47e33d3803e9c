import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatDiagnostic, generate } from "../../packages/codegen/src/index.js";
import { tempDir } from "./support.js";

/** Runs codegen on `files` (written to a temporary directory) with `patterns` as the command line. */
function run(files: Record<string, string>, patterns: readonly string[]): { services: string[]; diagnostics: string[] } {
  const { dir, remove } = tempDir("select");
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const result = generate({ files: patterns, outDir: "out", cwd: dir });
    return { services: result.services.map((service) => service.name), diagnostics: result.diagnostics.map((diagnostic) => formatDiagnostic(diagnostic, dir)) };
  } finally {
    remove();
  }
}

const service = `import type { Clock, Store } from "./types.js";\nexport interface Orders {\n  place(req: { orderId: string }): Promise<void>;\n}\nexport type Helpers = { clock: Clock; store: Store };\n`;
const helpers = [
  "export interface Clock {\n  now(): Date;\n}\n",
  "export interface Store {\n  load(key: string): Promise<string>;\n  size: number;\n}\n",
  "interface Local {\n  fetch(): Promise<string>;\n}\nexport type UsesLocal = Local;\n",
].join("");

describe("codegen: which interfaces are services", () => {
  it("a helper interface in a file codegen is given is a type, not a service, when any member is not a method returning a Promise", () => {
    expect(run({ "orders.ts": service, "types.ts": helpers }, ["*.ts"])).to.deep.equal({ services: ["Orders"], diagnostics: [] });
  });

  it("an interface in a file codegen only reaches through an import is never a service", () => {
    const store = "export interface Store {\n  load(key: string): Promise<string>;\n}\nexport interface Clock {\n  now(): Date;\n}\n";
    expect(run({ "orders.ts": service, "types.ts": store }, ["orders.ts"])).to.deep.equal({ services: ["Orders"], diagnostics: [] });
  });

  it("every exported interface of a given file whose members are all methods returning a Promise is a service", () => {
    const two = "export interface A {\n  a(): Promise<void>;\n}\nexport interface B {\n  b(req: { n: number }): Promise<number>;\n}\ninterface NotExported {\n  c(): Promise<void>;\n}\nexport type C = NotExported;\n";
    expect(run({ "two.ts": two }, ["two.ts"])).to.deep.equal({ services: ["A", "B"], diagnostics: [] });
  });

  it("refuses a helper type only where a service sends it, naming the service method", () => {
    const sends = `import type { Clock } from "./types.js";\nexport interface Orders {\n  place(req: { orderId: string }): Promise<void>;\n  stamp(req: { clock: Clock }): Promise<void>;\n}\n`;
    expect(run({ "orders.ts": sends, "types.ts": "export interface Clock {\n  now(): Date;\n}\n" }, ["*.ts"]).diagnostics).to.deep.equal([
      "types.ts:2:3 Orders.stamp: req.clock.now is a function: functions cannot be sent",
    ]);
  });

  it("a service-shaped interface with type parameters or extends is refused, with where a helper of that shape belongs", () => {
    const shaped = "export interface Repo<T> {\n  get(id: string): Promise<T>;\n}\ninterface Base {\n  ping(): Promise<void>;\n}\nexport interface Pinged extends Base {\n  pong(): Promise<void>;\n}\n";
    expect(run({ "repo.ts": shaped }, ["repo.ts"]).diagnostics).to.deep.equal([
      "repo.ts:1:18 service interface Repo cannot have type parameters (a helper type of this shape belongs in a file codegen is not given)",
      "repo.ts:2:28 Repo.get: res is an unresolved type parameter T",
      "repo.ts:7:33 service interface Pinged cannot extend other interfaces; declare its methods directly (a helper type of this shape belongs in a file codegen is not given)",
    ]);
  });
});
