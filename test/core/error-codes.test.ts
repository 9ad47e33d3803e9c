import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ErrorCode } from "../../packages/ferry/src/core/errors.js";
import { repoRoot } from "../codegen/support.js";

const runtime = join(repoRoot, "packages/ferry/src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
  );
}

describe("error codes", () => {
  it("are spelled out once, in ErrorCode: no other runtime source has one as a string literal", () => {
    const literal = new RegExp(`["'](${Object.values(ErrorCode).join("|")})["']`);
    const found: string[] = [];
    for (const file of sources(runtime)) {
      if (relative(runtime, file) === join("core", "errors.ts")) continue;
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, index) => literal.test(line) && found.push(`${relative(repoRoot, file)}:${index + 1}: ${line.trim()}`));
    }
    expect(found).to.deep.equal([]);
  });
});
