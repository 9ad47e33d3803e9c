import { CommandFailure, UsageError } from "./cli-errors.js";
import type { CommandRun } from "./commands.js";

/** The package that holds codegen: a dev-time tool, so the runtime does not carry ts-morph. */
export const codegenPackage = "ferry-codegen";

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

export async function loadCodegen(): Promise<typeof import("../../../codegen/src/codegen-cli.js")> {
  try {
    return await import("../../../codegen/src/codegen-cli.js");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw error;
    throw new CommandFailure(`codegen is in a separate package: install it with npm install --save-dev ${codegenPackage}`);
  }
}
