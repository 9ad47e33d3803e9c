import { expect } from "chai";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expandGlobs } from "../../packages/codegen/src/index.js";
import { tempDir } from "./support.js";

describe("codegen globs", () => {
  const { dir, remove } = tempDir("glob");
  before(() => {
    for (const path of ["a.ts", "b.ts", "c.js", ".hidden.ts", "sub/d.ts", "sub/deep/e.ts", "node_modules/x/f.ts", ".git/g.ts"]) {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), "");
    }
  });
  after(remove);

  const expand = (...patterns: string[]) => {
    const { files, unmatched } = expandGlobs(patterns, dir);
    return { files: files.map((file) => file.slice(dir.length + 1)), unmatched };
  };

  it("matches `*` within one directory, skipping dot-files", () => {
    expect(expand("*.ts")).to.deep.equal({ files: ["a.ts", "b.ts"], unmatched: [] });
  });

  it("matches `**` across directories, never into node_modules or dot-directories", () => {
    expect(expand("**/*.ts").files).to.deep.equal(["a.ts", "b.ts", "sub/d.ts", "sub/deep/e.ts"]);
    expect(expand("sub/**/*.ts").files).to.deep.equal(["sub/d.ts", "sub/deep/e.ts"]);
  });

  it("takes plain paths as they are, once, and reports patterns that match nothing", () => {
    expect(expand("a.ts", "b.ts", "*.ts", "nope/*.ts", "missing.ts")).to.deep.equal({ files: ["a.ts", "b.ts"], unmatched: ["nope/*.ts", "missing.ts"] });
  });
});
