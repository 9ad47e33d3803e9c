/**
 * Finds the TypeScript blocks of a Markdown file that are meant to compile. The rules, which
 * every README follows:
 *
 * - A block fenced with ```ts (or ```typescript) is compiled as a module of its own, beside a
 *   copy of `examples/services`: it can import `ferry` (and `ferry/nats`, `ferry/codegen`, ...),
 *   `./orders.js`, `./orders-types.js` and `./generated/orders.*.js`, and use Node's types.
 * - A block that is not meant to compile (a fragment, pseudo-code, another file's excerpt) says
 *   so on the line before its fence: `<!-- not compiled: why -->`.
 * - A block that relies on names from its surroundings declares them, unseen by readers, on the
 *   line before its fence: `<!-- prelude: declare const transport: NatsTransport; -->`. The
 *   prelude is compiled as the block's first line.
 */
export interface CodeBlock {
  /** 1-based line of the block's first line of code in the Markdown file. */
  readonly line: number;
  /** Written before the code, on one line of its own (empty when none). */
  readonly prelude: string;
  readonly code: string;
}

const fence = /^(\s*)```\s*([\w-]*)\s*$/;
const notCompiled = /^<!--\s*not compiled:\s*(\S.*?)\s*-->$/;
const prelude = /^<!--\s*prelude:\s*(.*?)\s*-->$/;

export function compiledBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = fence.exec(lines[i]!);
    if (open === null) continue;
    const [, indent = "", language = ""] = open;
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end++;
    const before = previousLine(lines, i);
    if ((language === "ts" || language === "typescript") && !notCompiled.test(before)) {
      const code = lines.slice(i + 1, end).map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line));
      blocks.push({ line: i + 2, prelude: prelude.exec(before)?.[1] ?? "", code: code.join("\n") });
    }
    i = end;
  }
  return blocks;
}

/** The nearest line above `index` with something on it. */
function previousLine(lines: readonly string[], index: number): string {
  for (let i = index - 1; i >= 0; i--) if (lines[i]!.trim() !== "") return lines[i]!.trim();
  return "";
}
