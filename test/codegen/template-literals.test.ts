import { expect } from "chai";
import { Project, ts } from "ts-morph";
import { validateCheckRequest, validateCheckResponse } from "./fixtures/templates/expected/names.validators.js";

/** The fields of the `templates` fixture's request, with their types as written there. */
const fields = {
  user: "`user-${string}`",
  size: "`${number}px`",
  count: "`${bigint}`",
  range: "`${number}-${number}`",
  pair: "`${string}${number}`",
  shout: "Uppercase<string>",
  title: "`${Capitalize<string>}!`",
  quiet: "`${Lowercase<string>}.${Uncapitalize<string>}`",
  hinted: "`${string & {}}@${string}`",
} as const;
type Field = keyof typeof fields;

/** A request every field of which is valid, to vary one field at a time. */
const valid: Record<Field, string> = { user: "user-1", size: "1px", count: "1", range: "1-2", pair: "a1", shout: "A", title: "A!", quiet: "a.b", hinted: "a@b" };

const candidates = [
  "", "user-", "user-bob", "bob", "User-bob", "px", "1px", "-1.5px", " 1px", "1e3px", "0x1Fpx", "Infinitypx", "NaNpx", "1pxpx",
  "1", "-1", "0", "007", "0x1F", "-0b101", "1.5", "1_000", "1n", " 1", "1-2", "-1--2", "1-", "-", "1-2-3", "a-1", "a1", "ab12", "1",
  "ABC", "AbC", "123", "É!", "Hello world!", "hello!", "!", "a.b", "a.B", "A.b", ".", "a@b", "@", "a@", "@b", "a@b@c",
];

/** What TypeScript says: whether each candidate string literal is assignable to each field's type. */
function typescriptVerdicts(): Map<string, boolean> {
  const project = new Project({ useInMemoryFileSystem: true, compilerOptions: { strict: true, target: ts.ScriptTarget.ES2022 } });
  const lines: string[] = [];
  const keys: string[] = [];
  for (const [field, type] of Object.entries(fields)) {
    candidates.forEach((candidate, index) => {
      lines.push(`const ${field}_${index}: ${type} = ${JSON.stringify(candidate)};`);
      keys.push(`${field}\0${candidate}`);
    });
  }
  const file = project.createSourceFile("verdicts.ts", `${lines.join("\n")}\nexport {};\n`);
  const failing = new Set(file.getPreEmitDiagnostics().map((diagnostic) => diagnostic.getLineNumber()! - 1));
  return new Map(keys.map((key, line) => [key, !failing.has(line)]));
}

describe("generated validators: template literal types", () => {
  it("refuse a string that does not match the template, naming it", () => {
    expect(validateCheckRequest({ ...valid, user: "bob" })).to.deep.equal([{ path: "req.user", message: "expected `user-${string}`" }]);
    expect(validateCheckRequest({ ...valid, size: "wide" })).to.deep.equal([{ path: "req.size", message: "expected `${number}px`" }]);
    expect(validateCheckRequest({ ...valid, user: 7 })).to.deep.equal([{ path: "req.user", message: "expected `user-${string}`" }]);
    expect(validateCheckResponse("ok-3")).to.deep.equal([]);
    expect(validateCheckResponse("ok-three")).to.deep.equal([{ path: "res", message: "expected null | `ok-${number}`" }]);
  });

  it("accept exactly the strings TypeScript accepts, for every kind of placeholder", function () {
    this.timeout(30_000);
    const verdicts = typescriptVerdicts();
    const disagreements: string[] = [];
    for (const field of Object.keys(fields) as Field[]) {
      for (const candidate of candidates) {
        const accepted = validateCheckRequest({ ...valid, [field]: candidate }).length === 0;
        const expected = verdicts.get(`${field}\0${candidate}`)!;
        if (accepted !== expected) disagreements.push(`${fields[field]} ${JSON.stringify(candidate)}: TypeScript ${expected ? "accepts" : "refuses"} it, the validator ${accepted ? "accepts" : "refuses"} it`);
      }
    }
    expect(disagreements).to.deep.equal([]);
  });

  it("take linear time on a string built to make a backtracking matcher slow", () => {
    const started = performance.now();
    expect(validateCheckRequest({ ...valid, range: `${"1-".repeat(200_000)}x` })).to.have.length(1);
    expect(performance.now() - started).to.be.below(1_000);
  });
});
