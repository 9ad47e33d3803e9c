import { docComment, header, ImportSet, importPath, type EmitContext } from "./format.js";
import { MethodKind, type MethodModel, type ServiceModel } from "./model.js";
import { kebabCase, serviceNames } from "./naming.js";

/**
 * `<name>.client.ts`: the producer stub, a class implementing the service interface whose methods
 * call (or emit) through the runtime, each with optional per-call options.
 */
export function emitClient(service: ServiceModel, context: EmitContext): string {
  const names = serviceNames(service.name);
  const imports = new ImportSet();
  imports.add(context.runtimeImport, "FerryCaller", true);
  imports.add(importPath(context, service.file), service.name, true);
  imports.add(`./${kebabCase(service.name)}.definition.js`, names.definition, false);
  const bodies: string[] = [];
  for (const method of service.methods) {
    imports.add(context.runtimeImport, method.kind === MethodKind.Event ? "EmitOptions" : "CallOptions", true);
    if (method.request !== null) imports.addTypes(context, method.request.ref.imports);
    if (method.kind === MethodKind.Call) imports.addTypes(context, method.response.ref.imports);
    bodies.push(methodBody(method, service.name, names.definition));
  }
  return [
    header(context, service.file),
    imports.render(),
    "\n",
    docComment(service.doc, "", `Calls the ${service.name} service through Ferry (or any FerryCaller, such as a test stub).`),
    `export class ${names.client} implements ${service.name} {\n`,
    "  constructor(private readonly ferry: FerryCaller) {}\n",
    bodies.map((body) => `\n${body}`).join(""),
    "}\n",
  ].join("");
}

function methodBody(method: MethodModel, service: string, definition: string): string {
  const event = method.kind === MethodKind.Event;
  const parameters = method.request === null ? [] : [`${method.request.name}: ${method.request.ref.text}`];
  parameters.push(`options?: ${event ? "EmitOptions" : "CallOptions"}`);
  // `ReturnType<X["m"]>` reads better than `Promise<Awaited<ReturnType<X["m"]>>>` and means the same.
  const returns = event ? "Promise<void>" : method.response.ref.viaService ? `ReturnType<${service}["${method.name}"]>` : `Promise<${method.response.ref.text}>`;
  const target = `${definition}.methods.${method.name}`;
  const request = method.request?.name ?? "undefined";
  return [
    docComment(method.doc, "  "),
    `  ${method.name}(${parameters.join(", ")}): ${returns} {\n`,
    `    return this.ferry.${event ? "emit" : "call"}(${target}, ${request}, options);\n`,
    "  }\n",
  ].join("");
}
