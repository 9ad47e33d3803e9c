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
  const streams = service.methods.some((method) => method.kind === MethodKind.Stream);
  if (streams) imports.add(context.runtimeImport, "FerryStreamer", true);
  for (const method of service.methods) {
    imports.add(context.runtimeImport, optionsType[method.kind], true);
    if (method.kind === MethodKind.Stream) imports.add(context.runtimeImport, "FerryStream", true);
    if (method.request !== null) imports.addTypes(context, method.request.ref.imports);
    if (method.kind !== MethodKind.Event) imports.addTypes(context, method.response.ref.imports);
    bodies.push(methodBody(method, service.name, names.definition));
  }
  return [
    header(context, service.file),
    imports.render(),
    "\n",
    docComment(service.doc, "", `Calls the ${service.name} service through Ferry (or any FerryCaller, such as a test stub).`),
    `export class ${names.client} implements ${service.name} {\n`,
    `  constructor(private readonly ferry: ${streams ? "FerryCaller & FerryStreamer" : "FerryCaller"}) {}\n`,
    bodies.map((body) => `\n${body}`).join(""),
    "}\n",
  ].join("");
}

/** The per-call options each kind of method takes. */
const optionsType = { [MethodKind.Call]: "CallOptions", [MethodKind.Event]: "EmitOptions", [MethodKind.Stream]: "StreamOptions" } as const;
/** The runtime method each kind of method goes through. */
const callerMethod = { [MethodKind.Call]: "call", [MethodKind.Event]: "emit", [MethodKind.Stream]: "stream" } as const;

function methodBody(method: MethodModel, service: string, definition: string): string {
  const parameters = method.request === null ? [] : [`${method.request.name}: ${method.request.ref.text}`];
  parameters.push(`options?: ${optionsType[method.kind]}`);
  const target = `${definition}.methods.${method.name}`;
  const request = method.request?.name ?? "undefined";
  return [
    docComment(method.doc, "  "),
    `  ${method.name}(${parameters.join(", ")}): ${returnType(method, service)} {\n`,
    `    return this.ferry.${callerMethod[method.kind]}(${target}, ${request}, options);\n`,
    "  }\n",
  ].join("");
}

function returnType(method: MethodModel, service: string): string {
  if (method.kind === MethodKind.Event) return "Promise<void>";
  // A FerryStream is an AsyncIterable of the items, with `asObservable()`.
  if (method.kind === MethodKind.Stream) return `FerryStream<${method.response.ref.text}>`;
  // `ReturnType<X["m"]>` reads better than `Promise<Awaited<ReturnType<X["m"]>>>` and means the same.
  return method.response.ref.viaService ? `ReturnType<${service}["${method.name}"]>` : `Promise<${method.response.ref.text}>`;
}
