import { expect } from "chai";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { watchCodegen, type GenerateResult } from "../../packages/codegen/src/index.js";
import { tempDir } from "./support.js";

describe("codegen watch", () => {
  it("regenerates when an imported types file changes, and reports the change", async () => {
    const { dir, remove } = tempDir("watch");
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "src/types.ts"), "export interface Hello { name: string }\n");
    writeFileSync(join(dir, "src/greeter.ts"), 'import type { Hello } from "./types.js";\nexport interface Greeter {\n  hello(req: Hello): Promise<string>;\n}\n');
    const runs: { result: GenerateResult; changed: readonly string[] }[] = [];
    let next: (() => void) | undefined;
    const handle = watchCodegen({ files: ["src/*.ts"], outDir: "gen", cwd: dir, debounceMs: 10 }, (result, changed) => {
      runs.push({ result, changed });
      next?.();
    });
    try {
      expect(runs).to.have.length(1);
      expect(runs[0]!.changed).to.deep.equal([]);
      const validators = (run: { result: GenerateResult }) => run.result.files.find((file) => file.path.endsWith("greeter.validators.ts"))!.content;
      expect(validators(runs[0]!)).not.to.include("req.age");

      const rerun = new Promise<void>((resolve) => (next = resolve));
      writeFileSync(join(dir, "src/types.ts"), "export interface Hello { name: string; age: number }\n");
      await rerun;
      const last = runs[runs.length - 1]!;
      expect(last.changed).to.deep.equal([join(dir, "src/types.ts")]);
      expect(last.result.diagnostics).to.deep.equal([]);
      expect(validators(last)).to.include('"req.age"');
    } finally {
      handle.close();
      remove();
    }
  });
});
