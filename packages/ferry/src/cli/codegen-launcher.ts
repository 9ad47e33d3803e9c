import { CommandFailure, UsageError } from "./cli-errors.js";
import type { CommandRun } from "./commands.js";

/** The package that holds codegen: a dev-time tool, so the runtime does not carry ts-morph. */
export const codegenPackage = "ferry-codegen";

/**
 * What `ferry-codegen/cli` offers the `ferry` CLI. Declared here rather than imported, so the
 * runtime package neither depends on codegen nor needs it installed to build.
 */
export interface CodegenModule {
  codegenCli(args: {
    patterns: readonly string[];
    outDir: string;
    check: boolean;
    watch: boolean;
    runtimeImport: string | undefined;
    argv: readonly string[];
  }): Promise<number>;
  CodegenUsageError: new (message: string) => Error;
  generate(options: { files: string[]; outDir: string }): {
    files: readonly { path: string; content: string }[];
    diagnostics: readonly { message: string }[];
  };
}

/** `ferry codegen`: finds the codegen package and hands it the parsed arguments. */
export const codegenLauncher: CommandRun = async ({ strings, booleans, positionals, argv }) => {
  const codegen = await loadCodegen();
  try {
    return await codegen.codegenCli({
      patterns: positionals,
      outDir: strings.get("out") ?? "",
      check: booleans.has("check"),
      watch: booleans.has("watch"),
      runtimeImport: strings.get("runtime-import"),
      argv,
    });
  } catch (error) {
    if (error instanceof codegen.CodegenUsageError) throw new UsageError(error.message);
    throw error;
  }
};

/** Loads `ferry-codegen/cli` as the application resolves it; a missing install names the package. */
export async function loadCodegen(): Promise<CodegenModule> {
  const specifier = `${codegenPackage}/cli`;
  try {
    return (await import(specifier)) as CodegenModule;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND" || !String((error as Error).message).includes(codegenPackage)) throw error;
    throw new CommandFailure(`codegen is a separate, dev-time package: install it with npm install --save-dev ${codegenPackage}`);
  }
}
