import { docComment, header, ImportSet, importPath, quote, type EmitContext } from "./format.js";
import { MethodKind, type MethodModel, type ServiceModel } from "./model.js";
import { kebabCase, serviceNames, validatorNames } from "./naming.js";

/**
 * `<name>.definition.ts`: the runtime descriptor, `defineService(name, methods, { schemaHash })`,
 * with each method's tags as options and its validators attached.
 */
export function emitDefinition(service: ServiceModel, context: EmitContext, schemaHash: string): string {
  const imports = new ImportSet();
  imports.add(context.runtimeImport, "defineService", false);
  const base = kebabCase(service.name);
  const entries: string[] = [];
  for (const method of service.methods) {
    const validators = validatorNames(method.name);
    imports.add(context.runtimeImport, specFunction[method.kind], false);
    imports.add(`./${base}.validators.js`, validators.request, false);
    if (method.kind !== MethodKind.Event) imports.add(`./${base}.validators.js`, validators.response, false);
    if (method.request !== null) imports.addTypes(context, method.request.ref.imports);
    if (method.kind !== MethodKind.Event) imports.addTypes(context, method.response.ref.imports);
    if (needsInterface(method)) imports.add(importPath(context, service.file), service.name, true);
    entries.push(methodEntry(method));
  }
  const name = serviceNames(service.name).definition;
  return [
    header(context, service.file),
    imports.render(),
    "\n",
    docComment(service.doc, "", `Runtime descriptor of the ${service.name} service: its methods, their options and validators.`),
    `export const ${name} = defineService(\n`,
    `  ${quote(service.name)},\n`,
    "  {\n",
    entries.join(""),
    "  },\n",
    `  { schemaHash: ${quote(schemaHash)} },\n`,
    ");\n",
  ].join("");
}

/** The runtime function that declares each kind of method. */
const specFunction = { [MethodKind.Call]: "method", [MethodKind.Event]: "event", [MethodKind.Stream]: "stream" } as const;

function methodEntry(method: MethodModel): string {
  const validators = validatorNames(method.name);
  const options: string[] = [];
  const { keyPath, idempotent, timeoutMs, retries, durable } = method.options;
  if (keyPath !== undefined) options.push(`keyPath: ${quote(keyPath)}`);
  if (idempotent === true) options.push("idempotent: true");
  if (durable === true) options.push("durable: true");
  if (timeoutMs !== undefined) options.push(`timeoutMs: ${timeoutMs}`);
  if (retries !== undefined) options.push(`retries: ${retries}`);
  options.push(`validateRequest: ${validators.request}`);
  const requestType = method.request?.ref.text ?? "void";
  let call: string;
  if (method.kind === MethodKind.Event) call = `event<${requestType}>`;
  else {
    options.push(`validateResponse: ${validators.response}`);
    call = `${specFunction[method.kind]}<${requestType}, ${method.response.ref.text}>`;
  }
  return `    ${method.name}: ${call}({\n${options.map((option) => `      ${option},\n`).join("")}    }),\n`;
}

/** Whether a type reference goes through the interface (`Parameters<Orders["quote"]>[0]`). */
export function needsInterface(method: MethodModel): boolean {
  return method.request?.ref.viaService === true || (method.kind !== MethodKind.Event && method.response.ref.viaService);
}
