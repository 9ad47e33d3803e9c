import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { CommandFailure, UsageError } from "./cli-errors.js";
import { loadCodegen, type CodegenModule } from "./codegen-launcher.js";
import type { CommandRun } from "./commands.js";
import { initTemplates } from "./init-templates.js";
import { packageVersion } from "./package-version.js";

/** `ferry init [dir]`: scaffolds a service project, and generates its code when codegen is installed. */
export const initCommand: CommandRun = async ({ strings, positionals }) => {
  const dir = resolve(positionals[0] ?? ".");
  const name = strings.get("name") ?? packageNameOf(basename(dir));
  if (!/^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/.test(name)) throw new UsageError(`${JSON.stringify(name)} is not a valid npm package name; pass one with --name`);
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new CommandFailure(`${dir} is not empty: pick a new or empty directory`);
  for (const [path, text] of Object.entries(initTemplates(name, packageVersion()))) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const generated = await generateInto(dir);
  const fromHere = relative(process.cwd(), dir);
  const where = fromHere === "" ? "." : fromHere.startsWith("..") ? dir : fromHere;
  process.stdout.write(
    [
      `ferry init: created ${name} in ${where}${generated ? ", with its generated code" : ""}`,
      "",
      "next:",
      ...(where === "." ? [] : [`  cd ${where}`]),
      "  npm install",
      "  npm start     # builds (codegen first), then calls the service on the in-process broker",
      "  npm test",
      "",
    ].join("\n"),
  );
  return 0;
};

/** Runs codegen on the new project if it is installed here; `npm run build` does it otherwise. */
async function generateInto(dir: string): Promise<boolean> {
  let codegen: CodegenModule;
  try {
    codegen = await loadCodegen();
  } catch (error) {
    if (error instanceof CommandFailure) return false;
    throw error;
  }
  const result = codegen.generate({ files: [join(dir, "src/services/*.ts")], outDir: join(dir, "src/generated") });
  if (result.diagnostics.length > 0) throw new Error(`ferry init: codegen failed on its own template: ${result.diagnostics.map((d) => d.message).join("; ")}`);
  for (const file of result.files) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.content);
  }
  return true;
}

function packageNameOf(folder: string): string {
  return folder.toLowerCase().replace(/[^a-z0-9-._~]+/g, "-").replace(/^[-._]+/, "") || "ferry-service";
}
