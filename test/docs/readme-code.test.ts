import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { repoRoot, tempDir } from "../codegen/support.js";
import { compiledBlocks, type CodeBlock } from "./code-blocks.js";

/** Every README.md of the repository, by path from its root. */
function readmes(dir = repoRoot): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !["node_modules", "dist", ".git"].includes(entry.name)) found.push(...readmes(join(dir, entry.name)));
    else if (entry.isFile() && entry.name === "README.md") found.push(relative(repoRoot, join(dir, entry.name)));
  }
  return found.sort();
}

/**
 * A project as a user's would be: `ferry` installed (a link to packages/ferry, resolved through
 * its package.json exports to dist/*.d.ts), and a copy of examples/services with its generated
 * code importing `ferry`, as `ferry codegen` writes it outside this repository.
 */
function userProject(dir: string): void {
  const services = join(repoRoot, "examples/services");
  for (const file of ["orders.ts", "orders-types.ts"]) cpSync(join(services, file), join(dir, file));
  mkdirSync(join(dir, "generated"));
  for (const file of readdirSync(join(services, "generated"))) {
    const text = readFileSync(join(services, "generated", file), "utf8");
    writeFileSync(join(dir, "generated", file), text.split('"../../../packages/ferry/src/index.js"').join('"ferry"'));
  }
  mkdirSync(join(dir, "node_modules/@types"), { recursive: true });
  symlinkSync(join(repoRoot, "packages/ferry"), join(dir, "node_modules/ferry"), "dir");
  symlinkSync(join(repoRoot, "node_modules/@types/node"), join(dir, "node_modules/@types/node"), "dir");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  const compilerOptions = { target: "ES2022", module: "nodenext", moduleResolution: "nodenext", lib: ["ES2023"], types: ["node"], strict: true, skipLibCheck: true, noEmit: true };
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, include: ["*.ts", "generated/*.ts"] }));
}

describe("README code", () => {
  it("finds the README's examples: the service interface and the program that serves and calls it", () => {
    const blocks = compiledBlocks(readFileSync(join(repoRoot, "README.md"), "utf8"));
    expect(blocks.map((block) => block.code.split("\n").find((line) => line.trim() !== ""))).to.include.members([
      "// orders.ts: the service, as its users see it",
      'import { connect } from "ferry";',
    ]);
  });

  it("skips a block marked not compiled, and puts a prelude before the block's code", () => {
    const markdown = ["```ts", "const a = 1;", "```", "<!-- not compiled: an excerpt -->", "```ts", "broken(", "```", "<!-- prelude: declare const b: number; -->", "", "```typescript", "b;", "```", "```sh", "ls", "```"].join("\n");
    expect(compiledBlocks(markdown)).to.deep.equal([
      { line: 2, prelude: "", code: "const a = 1;" },
      { line: 11, prelude: "declare const b: number;", code: "b;" },
    ]);
  });

  it("every TypeScript block of every README compiles against this repository and the example's generated code", function () {
    this.timeout(120_000);
    const { dir, remove } = tempDir("readme");
    try {
      userProject(dir);
      const sources = new Map<string, { readme: string; block: CodeBlock }>();
      for (const readme of readmes()) {
        for (const block of compiledBlocks(readFileSync(join(repoRoot, readme), "utf8"))) {
          const name = `block-${sources.size + 1}.ts`;
          sources.set(name, { readme, block });
          // One line for the prelude, so the block's line n is the file's line n + 1; `export {}` makes any block a module.
          writeFileSync(join(dir, name), `${block.prelude}\n${block.code}\nexport {};\n`);
        }
      }
      expect(sources.size).to.be.greaterThan(3);
      let output = "";
      try {
        execFileSync(process.execPath, [join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", ".", "--pretty", "false"], { cwd: dir, encoding: "utf8", stdio: "pipe" });
      } catch (error) {
        output = (error as { stdout: string }).stdout;
      }
      // Each error at the README line it comes from: `README.md:68:5 error TS2353: ...`.
      const errors = output
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => {
          const match = /^(block-\d+\.ts)\((\d+),(\d+)\): (.*)$/.exec(line);
          const source = match === null ? undefined : sources.get(match[1]!);
          if (match === null || source === undefined) return line;
          const row = Number(match[2]) - 1;
          return row === 0 ? `${source.readme}:${source.block.line - 1} (prelude) ${match[4]}` : `${source.readme}:${source.block.line + row - 1}:${match[3]} ${match[4]}`;
        });
      expect(errors, `README code that does not compile:\n${errors.join("\n")}`).to.deep.equal([]);
    } finally {
      remove();
    }
  });
});
