import { relative } from "node:path";

/** Why an input cannot be generated, at a 1-based line and column of a source file. */
export interface Diagnostic {
  /** Absolute path of the offending file. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** `file:line:col message`, with `file` relative to `cwd` so editors and terminals can jump to it. */
export function formatDiagnostic(diagnostic: Diagnostic, cwd = process.cwd()): string {
  const file = relative(cwd, diagnostic.file).split("\\").join("/");
  return `${file}:${diagnostic.line}:${diagnostic.column} ${diagnostic.message}`;
}

/** Orders diagnostics by file, then position, so output never depends on traversal order. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.column - b.column || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0);
}
