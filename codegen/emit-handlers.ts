import { header, ImportSet, importPath, type EmitContext } from "./format.js";
import type { ServiceModel } from "./model.js";
import { kebabCase, serviceNames } from "./naming.js";

/**
 * `<name>.handlers.ts`: the consumer side. `XHandlers` is what `ferry.serve` expects for the
 * definition; `serveX` accepts the interface itself (or handlers that also read the call context),
 * as an instance, a class or a factory, so an implementation is checked against the interface.
 */
export function emitHandlers(service: ServiceModel, context: EmitContext): string {
  const names = serviceNames(service.name);
  const imports = new ImportSet()
    .add(context.runtimeImport, "Ferry", true)
    .add(context.runtimeImport, "Provider", true)
    .add(context.runtimeImport, "RpcServer", true)
    .add(context.runtimeImport, "ServeOptions", true)
    .add(context.runtimeImport, "ServiceHandlers", true)
    .add(importPath(context, service.file), service.name, true)
    .add(`./${kebabCase(service.name)}.definition.js`, names.definition, false);
  return [
    header(context, service.file),
    imports.render(),
    "\n",
    `/** One function per method of ${service.name}, each given the request and the call context. */\n`,
    `export type ${names.handlers} = ServiceHandlers<typeof ${names.definition}>;\n`,
    "\n",
    "/**\n",
    ` * Serves ${service.name}: \`implementation\` is an object implementing the interface (or the\n`,
    " * context-aware handlers), `{ useClass }` or `{ useFactory }`. Resolves once it consumes requests.\n",
    " */\n",
    `export function ${names.serve}(\n`,
    "  ferry: Ferry,\n",
    `  implementation: Provider<${service.name} | ${names.handlers}>,\n`,
    "  options?: ServeOptions,\n",
    "): Promise<RpcServer> {\n",
    `  return ferry.serve(${names.definition}, implementation, options);\n`,
    "}\n",
  ].join("");
}
