import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { FileSystemRefreshResult, Project, ts, type SourceFile } from "ts-morph";
import { compareDiagnostics, type Diagnostic } from "./diagnostic.js";
import { emitClient } from "./emit-client.js";
import { emitDefinition } from "./emit-definition.js";
import { emitHandlers } from "./emit-handlers.js";
import { emitValidators } from "./emit-validators.js";
import { compare, generatedHeader, type EmitContext } from "./format.js";
import { expandGlobs } from "./glob.js";
import type { ServiceModel } from "./model.js";
import { kebabCase } from "./naming.js";
import { parseServices } from "./parse.js";
import { schemaHash } from "./schema-hash.js";

/** What to generate, and where. */
export interface GenerateOptions {
  /**
   * Source files or patterns (`*`, `**`, `?`), relative to `cwd`. Services are the exported
   * interfaces of these files whose members are all methods returning a Promise; files they
   * import only supply types.
   */
  files: readonly string[];
  /** Output directory, relative to `cwd`. */
  outDir: string;
  /** Module specifier generated code imports the runtime from. Default `"ferry"`. */
  runtimeImport?: string;
  /** Base of relative paths. Default `process.cwd()`. */
  cwd?: string;
}

/** One generated file: `path` is absolute, `content` the exact text to write. */
export interface GeneratedFile {
  path: string;
  content: string;
}

export interface GenerateResult {
  /** Every file of every service, sorted by path; empty when there are diagnostics. */
  files: GeneratedFile[];
  diagnostics: Diagnostic[];
  /** The services found, as plain JSON. */
  services: ServiceModel[];
  /** Absolute paths of the input files the patterns matched. */
  inputs: string[];
}

const compilerOptions: ts.CompilerOptions = {
  strict: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  // Bundler resolution accepts both `./types.js` and `./types` imports of `.ts` files.
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ["lib.es2023.d.ts"],
  types: [],
  skipLibCheck: true,
  noEmit: true,
};

/**
 * A codegen run that can be repeated: it keeps one ts-morph `Project`, so `--watch` refreshes the
 * files that changed instead of re-reading the standard library and every input.
 */
export class CodegenSession {
  private readonly project = new Project({ compilerOptions, skipAddingFilesFromTsConfig: true });
  private readonly cwd: string;
  private readonly context: EmitContext;

  constructor(private readonly options: GenerateOptions) {
    this.cwd = options.cwd ?? process.cwd();
    this.context = { outDir: resolve(this.cwd, options.outDir), runtimeImport: options.runtimeImport ?? "ferry" };
  }

  get outDir(): string {
    return this.context.outDir;
  }

  /** Re-reads changed files from disk before the next `run`. */
  refresh(paths: Iterable<string>): void {
    for (const path of paths) {
      const file = this.project.getSourceFile(resolve(this.cwd, path));
      if (file === undefined) continue;
      if (file.refreshFromFileSystemSync() === FileSystemRefreshResult.Deleted) this.project.removeSourceFile(file);
    }
  }

  /** Files the last run read (inputs and what they import), for a watcher to observe. */
  sourcePaths(): string[] {
    return this.project
      .getSourceFiles()
      .filter((file) => !file.isInNodeModules() && !file.isDeclarationFile())
      .map((file) => file.getFilePath() as string)
      .sort(compare);
  }

  run(): GenerateResult {
    const { files: inputs, unmatched } = expandGlobs(this.options.files, this.cwd);
    const diagnostics: Diagnostic[] = unmatched.map((pattern) => ({ file: resolve(this.cwd, pattern), line: 1, column: 1, message: `no file matches ${pattern}` }));
    const sources: SourceFile[] = [];
    for (const input of inputs) {
      if (isGenerated(input)) continue; // an output directory inside the pattern is not input
      sources.push(this.project.getSourceFile(input) ?? this.project.addSourceFileAtPath(input));
    }
    this.project.resolveSourceFileDependencies();
    diagnostics.push(...this.compilerDiagnostics(sources));
    const parsed = parseServices(this.project, sources);
    diagnostics.push(...parsed.diagnostics);
    const services = [...parsed.services];
    const result: GenerateResult = { files: [], diagnostics: diagnostics.sort(compareDiagnostics), services, inputs: sources.map((file) => file.getFilePath() as string) };
    if (diagnostics.length > 0) return result;
    for (const service of services) result.files.push(...this.emit(service));
    result.files.sort((a, b) => compare(a.path, b.path));
    return result;
  }

  private emit(service: ServiceModel): GeneratedFile[] {
    const base = resolve(this.context.outDir, kebabCase(service.name));
    return [
      { path: `${base}.client.ts`, content: emitClient(service, this.context) },
      { path: `${base}.definition.ts`, content: emitDefinition(service, this.context, schemaHash(service)) },
      { path: `${base}.handlers.ts`, content: emitHandlers(service, this.context) },
      { path: `${base}.validators.ts`, content: emitValidators(service, this.context) },
    ];
  }

  /** Type errors in the inputs: a type that does not resolve would otherwise surface as a confusing `any`. */
  private compilerDiagnostics(sources: readonly SourceFile[]): Diagnostic[] {
    const program = this.project.getProgram().compilerObject;
    const found: Diagnostic[] = [];
    for (const source of sources) {
      const file = source.compilerNode;
      for (const diagnostic of [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]) {
        if (diagnostic.category !== ts.DiagnosticCategory.Error || diagnostic.file === undefined || diagnostic.start === undefined) continue;
        const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
        found.push({ file: diagnostic.file.fileName, line: line + 1, column: character + 1, message: ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n") });
      }
    }
    return found;
  }
}

/** Generates every file for the services in `options.files`, without writing anything. */
export function generate(options: GenerateOptions): GenerateResult {
  return new CodegenSession(options).run();
}

function isGenerated(path: string): boolean {
  if (basename(path).endsWith(".d.ts")) return true;
  try {
    return readFileSync(path, "utf8").startsWith(generatedHeader);
  } catch {
    return false;
  }
}
