import { header, ImportSet, type EmitContext } from "./format.js";
import type { ServiceModel } from "./model.js";
import { kebabCase, serviceNames } from "./naming.js";

/**
 * `<name>.handlers.ts`: the consumer side. `XHandlers` is what `ferry.serve` expects for the
 * definition; it is derived from the interface's types, so an object implementing the interface is
 * one (its methods just ignore the context argument). `serveX` takes it as an instance, a class or a
 * factory. It is deliberately not `X | XHandlers`: a union would leave the parameters of an object
 * literal's methods without a contextual type (implicitly `any`).
 */
export function emitHandlers(service: ServiceModel, context: EmitContext): string {
  const names = serviceNames(service.name);
  const imports = new ImportSet()
    .add(context.runtimeImport, "Provider", true)
    .add(context.runtimeImport, "ServedService", true)
    .add(context.runtimeImport, "ServeOptions", true)
    .add(context.runtimeImport, "ServiceHost", true)
    .add(context.runtimeImport, "ServiceHandlers", true)
    .add(`./${kebabCase(service.name)}.definition.js`, names.definition, false);
  return [
    header(context, service.file),
    imports.render(),
    "\n",
    `/** One function per method of ${service.name}, given the request and the call context; an object implementing ${service.name} is one. */\n`,
    `export type ${names.handlers} = ServiceHandlers<typeof ${names.definition}>;\n`,
    "\n",
    "/**\n",
    ` * Serves ${service.name} with \`implementation\`: an object implementing ${service.name} (or ${names.handlers}),\n`,
    " * `{ useClass }` or `{ useFactory }`. Resolves once requests are being consumed.\n",
    " */\n",
    `export function ${names.serve}(\n`,
    "  ferry: ServiceHost,\n",
    `  implementation: Provider<${names.handlers}>,\n`,
    "  options?: ServeOptions,\n",
    "): Promise<ServedService> {\n",
    `  return ferry.serve(${names.definition}, implementation, options);\n`,
    "}\n",
  ].join("");
}
