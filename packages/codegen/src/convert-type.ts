import { Node, ts, type Symbol as MorphSymbol, type Type } from "ts-morph";
import { templateModel } from "./convert-template.js";
import type { PropertyModel, TupleElementModel, TypeModel } from "./model.js";

/** Reports a problem at a node; the converter carries on with `unknown` so all problems surface at once. */
export type Reporter = (at: Node, message: string) => void;

/** Built-in types that look like data but do not survive msgpackr as the same type. */
const unsupportedBuiltins: Readonly<Record<string, string>> = {
  Map: "Map is not supported (msgpack decodes it as a plain object); use Record<string, T> or an array of entries",
  ReadonlyMap: "ReadonlyMap is not supported (msgpack decodes it as a plain object); use Record<string, T>",
  WeakMap: "WeakMap cannot be sent",
  Set: "Set is not supported (msgpack does not round-trip it); use an array",
  ReadonlySet: "ReadonlySet is not supported (msgpack does not round-trip it); use an array",
  WeakSet: "WeakSet cannot be sent",
  Promise: "a Promise cannot be sent inside a message",
  RegExp: "RegExp is not supported; send its source as a string",
  Error: "Error is not supported; send a plain object with a message",
  ArrayBuffer: "ArrayBuffer is not supported; use Uint8Array",
  SharedArrayBuffer: "SharedArrayBuffer is not supported; use Uint8Array",
  DataView: "DataView is not supported; use Uint8Array",
  Function: "functions cannot be sent",
  Symbol: "symbols cannot be sent",
};
const typedArrays = ["Int8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"];

/**
 * Converts checker types into `TypeModel`s, rejecting what msgpack cannot round-trip. One converter
 * serves one service: the recursive types it meets become that service's named `types`.
 */
export class TypeConverter {
  /** Named definitions of recursive types, by name. */
  readonly definitions = new Map<string, TypeModel>();
  /** Object types being converted, outermost first: meeting one again means recursion. */
  private readonly inProgress = new Map<ts.Type, { name: string | undefined; recursive: boolean }>();
  private readonly names = new Map<string, ts.Type>();
  private readonly refNames = new Map<ts.Type, string>();

  constructor(
    private readonly report: Reporter,
    private readonly isLibrary: (node: Node) => boolean,
  ) {}

  /** `path` names the value for messages, e.g. `req.items[]`. */
  convert(type: Type, at: Node, path: string): TypeModel {
    const flags = type.getFlags();
    if (type.isAny()) return this.fail(at, `${path} is any: declare its type (unknown accepts anything)`);
    if (type.isUnknown()) return { kind: "unknown" };
    if (type.isNever()) return this.fail(at, `${path} is never: no value can be sent`);
    if (type.isTypeParameter()) return this.fail(at, `${path} is an unresolved type parameter ${type.getText()}`);
    if (type.isString()) return { kind: "string" };
    if (type.isNumber()) return { kind: "number" };
    if (type.isBoolean()) return { kind: "boolean" };
    if (type.isBigInt() || type.isBigIntLiteral()) return { kind: "bigint" };
    if (type.isNull()) return { kind: "null" };
    if (type.isUndefined() || type.isVoid()) return { kind: "undefined" };
    if (type.isStringLiteral() || type.isNumberLiteral()) return { kind: "literal", value: type.getLiteralValue() as string | number };
    if (type.isBooleanLiteral()) return { kind: "literal", value: type.getText() === "true" };
    if (type.isTemplateLiteral() || (flags & ts.TypeFlags.StringMapping) !== 0) {
      const template = templateModel(type);
      return "problem" in template ? this.fail(at, `${path} ${template.problem}`) : template;
    }
    // A named union can be recursive (`type Json = string | Json[]`), so it is guarded like objects.
    if (type.isUnion()) return type.getAliasSymbol() === undefined ? this.union(type, at, path) : this.guarded(type, at, path, () => this.union(type, at, path));
    if (type.isIntersection()) return this.intersection(type, at, path);
    if ((flags & (ts.TypeFlags.ESSymbolLike | ts.TypeFlags.NonPrimitive)) !== 0) return this.fail(at, `${path} has type ${type.getText()}, which cannot be sent`);
    if (type.isObject()) return this.object(type, at, path);
    return this.fail(at, `${path} has unsupported type ${type.getText()}`);
  }

  private union(type: Type, at: Node, path: string): TypeModel {
    const members: TypeModel[] = [];
    let booleans = 0;
    for (const member of type.getUnionTypes()) {
      const model = this.convert(member, at, path);
      if (model.kind === "literal" && typeof model.value === "boolean") booleans++;
      const flat = model.kind === "union" ? model.members : [model];
      for (const item of flat) if (!members.some((known) => sameModel(known, item))) members.push(item);
    }
    // The checker splits `boolean` into `true | false`; keep it as written.
    const merged = booleans === 2 ? [...members.filter((m) => !(m.kind === "literal" && typeof m.value === "boolean")), { kind: "boolean" } as const] : members;
    // Sorted, because the checker orders members by internal type ids, which depend on what was
    // checked first: a watch-mode rerun could otherwise print a union differently from a cold run.
    merged.sort((a, b) => rank(a) - rank(b) || compareText(JSON.stringify(a), JSON.stringify(b)));
    return merged.length === 1 ? merged[0]! : { kind: "union", members: merged };
  }

  private intersection(type: Type, at: Node, path: string): TypeModel {
    const parts = type.getIntersectionTypes();
    // A branded primitive (`string & { __brand: "Sku" }`) travels as the primitive.
    const primitive = parts.find((part) => !part.isObject());
    if (primitive !== undefined) return this.convert(primitive, at, path);
    return this.object(type, at, path);
  }

  private object(type: Type, at: Node, path: string): TypeModel {
    if (type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0) {
      return this.fail(at, `${path} is a function: functions cannot be sent`);
    }
    const builtin = this.builtinName(type);
    if (builtin === "Date") return { kind: "date" };
    if (builtin === "Uint8Array") return { kind: "bytes" };
    if (builtin !== undefined && unsupportedBuiltins[builtin] !== undefined) return this.fail(at, `${path}: ${unsupportedBuiltins[builtin]}`);
    if (builtin !== undefined && typedArrays.includes(builtin)) return this.fail(at, `${path}: ${builtin} is not supported (only Uint8Array travels as bytes)`);
    if (type.isArray() || type.isReadonlyArray()) {
      const element = type.getArrayElementType() ?? type.getTypeArguments()[0];
      if (element === undefined) return this.fail(at, `${path} is an array of unknown element type`);
      return this.guarded(type, at, path, () => ({ kind: "array", element: this.convert(element, at, `${path}[]`) }));
    }
    if (type.isTuple()) return this.guarded(type, at, path, () => this.tuple(type, at, path));
    const declaredClass = type.getSymbol()?.getDeclarations().find((declaration) => Node.isClassDeclaration(declaration));
    if (declaredClass !== undefined && !this.isLibrary(declaredClass)) {
      // msgpack carries an instance's own fields and nothing else: the handler would get a plain
      // object that its type says is an instance, and `instanceof`, methods and getters would fail.
      return this.fail(at, `${path} is an instance of class ${type.getText(at)}, which arrives as a plain object (no prototype: instanceof, methods and getters do not survive); declare its fields as an interface or type alias`);
    }
    return this.guarded(type, at, path, () => this.plainObject(type, at, path));
  }

  private tuple(type: Type, at: Node, path: string): TypeModel {
    const target = (type.compilerType as ts.TupleTypeReference).target;
    const elements: TupleElementModel[] = [];
    let rest: TypeModel | undefined;
    type.getTupleElements().forEach((element, index) => {
      const flag = target.elementFlags[index] ?? ts.ElementFlags.Required;
      const model = this.convert(element, at, `${path}[${index}]`);
      if ((flag & ts.ElementFlags.Variable) !== 0) rest = model;
      else elements.push({ type: (flag & ts.ElementFlags.Optional) !== 0 ? withoutUndefined(model) : model, optional: (flag & ts.ElementFlags.Optional) !== 0 });
    });
    return rest === undefined ? { kind: "tuple", elements } : { kind: "tuple", elements, rest };
  }

  private plainObject(type: Type, at: Node, path: string): TypeModel {
    const properties: PropertyModel[] = [];
    for (const symbol of type.getProperties()) {
      const name = symbol.getName();
      const declaration = symbol.getValueDeclaration() ?? symbol.getDeclarations()[0];
      const where = declaration !== undefined && !this.isLibrary(declaration) ? declaration : at;
      if (name.startsWith("__@")) {
        this.fail(where, `${path} has a symbol-keyed property, which cannot be sent`);
        continue;
      }
      const optional = symbol.isOptional();
      const propertyType = this.propertyType(symbol, at);
      const model = this.convert(propertyType, where, `${path}.${name}`);
      properties.push({ name, type: optional ? withoutUndefined(model) : model, optional });
    }
    const index = type.getStringIndexType() ?? type.getNumberIndexType();
    if (index !== undefined) {
      if (properties.length > 0) return this.fail(at, `${path} mixes named properties with an index signature; use one or the other`);
      return { kind: "record", value: this.convert(index, at, `${path}[key]`) };
    }
    return { kind: "object", properties };
  }

  private propertyType(symbol: MorphSymbol, at: Node): Type {
    // Instantiated generic members are transient symbols: only the checker knows their type.
    return symbol.getTypeAtLocation(at);
  }

  /** Converts an object type once per path through it; a second visit on the same path is recursion. */
  private guarded(type: Type, at: Node, path: string, build: () => TypeModel): TypeModel {
    const key = type.compilerType;
    const active = this.inProgress.get(key);
    if (active !== undefined) {
      if (active.name === undefined) return this.fail(at, `${path} is an unnamed recursive type: declare it as a named interface or type alias`);
      active.recursive = true;
      return { kind: "ref", name: active.name };
    }
    const known = this.refNames.get(key);
    if (known !== undefined) return { kind: "ref", name: known };
    const entry = { name: this.nameOf(type), recursive: false };
    this.inProgress.set(key, entry);
    try {
      const model = build();
      if (!entry.recursive || entry.name === undefined) return model;
      this.definitions.set(entry.name, model);
      this.refNames.set(key, entry.name);
      return { kind: "ref", name: entry.name };
    } finally {
      this.inProgress.delete(key);
    }
  }

  /** A stable identifier for a named type (`Tree`, `Tree_number` for `Tree<number>`), unique per service. */
  private nameOf(type: Type): string | undefined {
    const base = readableName(type);
    if (base === undefined) return undefined;
    let name = base.replace(/[^A-Za-z0-9_$]+/g, "_").replace(/_+$/, "");
    for (let n = 2; this.names.has(name) && this.names.get(name) !== type.compilerType; n++) name = `${base}_${n}`;
    this.names.set(name, type.compilerType);
    return name;
  }

  private builtinName(type: Type): string | undefined {
    const symbol = type.getSymbol();
    if (symbol === undefined) return undefined;
    const declarations = symbol.getDeclarations();
    if (declarations.length === 0 || !declarations.every((declaration) => this.isLibrary(declaration))) return undefined;
    return symbol.getName();
  }

  private fail(at: Node, message: string): TypeModel {
    this.report(at, message);
    return { kind: "unknown" };
  }
}

function readableName(type: Type): string | undefined {
  const alias = type.getAliasSymbol();
  if (alias !== undefined) return withArguments(alias.getName(), type.getAliasTypeArguments());
  const symbol = type.getSymbol();
  if (symbol === undefined || symbol.getName().startsWith("__")) return undefined;
  const target = type.getTargetType();
  // Interfaces carry their `this` type as a trailing type argument; it is not part of the name.
  const declared = target?.compilerType.typeParameters?.length ?? 0;
  return withArguments(symbol.getName(), type.getTypeArguments().slice(0, declared));
}

function withArguments(name: string, args: readonly Type[]): string | undefined {
  if (args.length === 0) return name;
  const names = args.map((arg) => (arg.isString() || arg.isNumber() || arg.isBoolean() || arg.isBigInt() ? arg.getText() : readableName(arg)));
  if (names.some((arg) => arg === undefined)) return undefined;
  return `${name}_${names.join("_")}`;
}

function withoutUndefined(model: TypeModel): TypeModel {
  if (model.kind !== "union") return model;
  const members = model.members.filter((member) => member.kind !== "undefined");
  return members.length === 1 ? members[0]! : { kind: "union", members };
}

function sameModel(a: TypeModel, b: TypeModel): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const kindOrder: readonly TypeModel["kind"][] = ["null", "undefined", "void", "boolean", "number", "bigint", "string", "template", "literal", "date", "bytes", "array", "tuple", "object", "record", "ref", "union", "unknown"];

function rank(model: TypeModel): number {
  return kindOrder.indexOf(model.kind);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
