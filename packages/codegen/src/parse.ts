import { Node, type InterfaceDeclaration, type MethodSignature, type Project, type SourceFile, type Type } from "ts-morph";
import { compareDiagnostics, type Diagnostic } from "./diagnostic.js";
import { TypeConverter } from "./convert-type.js";
import { emptyDoc, parseJsDoc, type ParsedDoc } from "./jsdoc.js";
import { checkKeyPath } from "./key-path.js";
import { MethodKind, type MethodModel, type ServiceModel, type TypeModel } from "./model.js";
import { reservedNames } from "./naming.js";
import { readMethodTags } from "./tags.js";
import { TypeRefs } from "./type-refs.js";

/** Records a diagnostic at a node, or at an offset (a JSDoc tag is not a node of its own). */
interface Report {
  (at: Node, message: string): void;
  atOffset(file: SourceFile, offset: number, message: string): void;
}

export interface ParseResult {
  readonly services: readonly ServiceModel[];
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Reads the services declared in `files`. A service is an exported interface, declared in one of
 * the files codegen was given, whose members are all methods returning a Promise or an
 * AsyncIterable (a stream), and it has at least one. Every other interface is a type: a helper such as `interface Clock { now(): Date }`
 * is checked only where a service sends it, and refused there, never for being declared.
 */
export function parseServices(project: Project, files: readonly SourceFile[]): ParseResult {
  const program = project.getProgram().compilerObject;
  const isLibrary = (node: Node): boolean => {
    const file = node.getSourceFile();
    return program.isSourceFileDefaultLibrary(file.compilerNode) || file.isInNodeModules();
  };
  const diagnostics: Diagnostic[] = [];
  const report: Report = Object.assign((at: Node, message: string) => void diagnostics.push(locate(at.getSourceFile(), at.getStart(), message)), {
    atOffset: (file: SourceFile, offset: number, message: string) => void diagnostics.push(locate(file, offset, message)),
  });
  const services: ServiceModel[] = [];
  const owners = new Map<string, string>();
  for (const file of files) {
    for (const declaration of file.getInterfaces()) {
      if (!isService(declaration)) continue;
      const owner = owners.get(declaration.getName());
      if (owner !== undefined) {
        report(declaration.getNameNode(), `service ${declaration.getName()} is also declared in ${owner}; service names must be unique`);
        continue;
      }
      owners.set(declaration.getName(), file.getFilePath());
      services.push(parseService(declaration, report, isLibrary));
    }
  }
  return { services, diagnostics: diagnostics.sort(compareDiagnostics) };
}

/** The service rule: exported, and every member (at least one) a method returning a Promise or an AsyncIterable. */
function isService(declaration: InterfaceDeclaration): boolean {
  const members = declaration.getMembers();
  if (!declaration.isExported() || members.length === 0) return false;
  return members.every((member) => Node.isMethodSignature(member) && (promisedType(member.getReturnType()) ?? streamedType(member.getReturnType())) !== undefined);
}

function parseService(declaration: InterfaceDeclaration, report: Report, isLibrary: (node: Node) => boolean): ServiceModel {
  const name = declaration.getName();
  // It has the shape of a service, so it is one: say what stops it from being generated, and
  // where a helper type of that shape belongs.
  const helperHint = "(a helper type of this shape belongs in a file codegen is not given)";
  if (declaration.getTypeParameters().length > 0) report(declaration.getNameNode(), `service interface ${name} cannot have type parameters ${helperHint}`);
  if (declaration.getExtends().length > 0) report(declaration.getExtends()[0]!, `service interface ${name} cannot extend other interfaces; declare its methods directly ${helperHint}`);
  // Type problems name the method that sends the type: a type shared by several methods, or
  // declared in another file, is otherwise hard to trace back to the service.
  let method = name;
  const converter = new TypeConverter((at, message) => report(at, `${method}: ${message}`), isLibrary);
  const refs = new TypeRefs(reservedNames(name), isLibrary);
  const methods: MethodModel[] = [];
  const seen = new Set<string>();
  for (const signature of declaration.getMethods()) {
    const methodName = signature.getName();
    if (seen.has(methodName)) {
      report(signature.getNameNode(), `${name}.${methodName} is overloaded; a service method has one signature`);
      continue;
    }
    seen.add(methodName);
    method = `${name}.${methodName}`;
    const parsed = parseMethod(name, signature, converter, refs, report);
    if (parsed !== undefined) methods.push(parsed);
  }
  const types: Record<string, TypeModel> = {};
  for (const key of [...converter.definitions.keys()].sort()) types[key] = converter.definitions.get(key)!;
  return { name, file: declaration.getSourceFile().getFilePath(), doc: readDoc(declaration).doc, methods, types };
}

function parseMethod(
  service: string,
  signature: MethodSignature,
  converter: TypeConverter,
  refs: TypeRefs,
  report: Report,
): MethodModel | undefined {
  const name = signature.getName();
  const label = `${service}.${name}`;
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) {
    report(signature.getNameNode(), `${label}: method names must be identifiers`);
    return undefined;
  }
  if (signature.hasQuestionToken()) report(signature.getNameNode(), `${label} cannot be optional: a service implements every method`);
  if (signature.getTypeParameters().length > 0) report(signature.getTypeParameters()[0]!, `${label} cannot be generic: the wire needs one concrete request and response type`);

  const parsedDoc = readDoc(signature);
  // `isService` admitted only methods returning a Promise or an AsyncIterable.
  const streamed = streamedType(signature.getReturnType());
  const tags = readMethodTags(parsedDoc.tags, streamed !== undefined);
  const file = signature.getSourceFile();
  for (const problem of tags.problems) report.atOffset(file, problem.offset, `${label}: ${problem.message}`);

  const parameters = signature.getParameters();
  for (const extra of parameters.slice(1)) report(extra, `${label} takes ${parameters.length} parameters; a method takes one request object (or none)`);
  let request: MethodModel["request"] = null;
  const parameter = parameters[0];
  if (parameter !== undefined) {
    if (parameter.isRestParameter()) report(parameter, `${label}: the request cannot be a rest parameter`);
    if (parameter.hasQuestionToken()) report(parameter, `${label}: the request parameter cannot be optional; declare a method without a parameter, or accept undefined in its type`);
    const requestName = Node.isIdentifier(parameter.getNameNode()) ? parameter.getName() : "req";
    const at = parameter.getTypeNode() ?? parameter;
    const type = converter.convert(parameter.getType(), at, "req");
    request = { name: requestName, type, ref: refs.refer(parameter.getTypeNode(), `Parameters<${service}["${name}"]>[0]`) };
  }

  const returnNode = signature.getReturnTypeNode();
  const awaited = streamed ?? promisedType(signature.getReturnType())!;
  const responseNode = returnNode !== undefined && Node.isTypeReference(returnNode) ? returnNode.getTypeArguments()[0] : undefined;
  const responseAt = responseNode ?? returnNode ?? signature.getNameNode();
  let response: TypeModel;
  if (tags.kind === MethodKind.Event) {
    if (!awaited.isVoid()) report(responseAt, `${label} is an @event and must return Promise<void>; events get no reply`);
    response = { kind: "void" };
  } else if (tags.kind === MethodKind.Stream) {
    if (awaited.isVoid() || awaited.isUndefined()) report(responseAt, `${label} streams ${awaited.getText()}: a stream's items carry values`);
    response = converter.convert(awaited, responseAt, "res");
  } else {
    response = awaited.isVoid() ? { kind: "void" } : converter.convert(awaited, responseAt, "res");
  }

  if (tags.options.keyPath !== undefined) {
    const problem = request === null ? "the method takes no request" : checkKeyPath(request.type, tags.options.keyPath, converter.definitions);
    if (problem !== undefined) report.atOffset(file, tags.keyOffset ?? signature.getStart(), `${label}: @key ${tags.options.keyPath}: ${problem}`);
  }

  return {
    name,
    kind: tags.kind,
    doc: parsedDoc.doc,
    options: tags.options,
    request,
    response: {
      type: response,
      ref: refs.refer(
        responseNode,
        tags.kind === MethodKind.Stream ? `ReturnType<${service}["${name}"]> extends AsyncIterable<infer Item> ? Item : never` : `Awaited<ReturnType<${service}["${name}"]>>`,
      ),
    },
  };
}

/** The `T` of `AsyncIterable<T>`, or undefined when the type is not an AsyncIterable. */
function streamedType(type: Type): Type | undefined {
  const symbol = type.getSymbol();
  if (symbol?.getName() !== "AsyncIterable") return undefined;
  return type.getTypeArguments()[0];
}

/** The `T` of `Promise<T>`, or undefined when the type is not a Promise. */
function promisedType(type: Type): Type | undefined {
  const symbol = type.getSymbol();
  if (symbol?.getName() !== "Promise") return undefined;
  return type.getTypeArguments()[0];
}

function readDoc(node: InterfaceDeclaration | MethodSignature): ParsedDoc {
  const docs = node.getJsDocs();
  const last = docs[docs.length - 1];
  return last === undefined ? { doc: emptyDoc, tags: [] } : parseJsDoc(last.getText(), last.getStart());
}

function locate(file: SourceFile, offset: number, message: string): Diagnostic {
  const { line, column } = file.getLineAndColumnAtPos(offset);
  return { file: file.getFilePath(), line, column, message };
}
