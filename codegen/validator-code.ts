import type { PropertyModel, TypeModel } from "./model.js";
import { quote } from "./format.js";

/**
 * Writes the statements that check one value against a `TypeModel`. Paths are built only when a
 * check fails, so a valid value costs type tests and property reads, never a string or an array.
 * In "collect" mode a failure records an issue and checking goes on (every problem is reported);
 * in "test" mode (the predicates unions need) the first failure returns false.
 */
export type CheckMode = "collect" | "test";

/** A path to the checked value: literal text and expressions (loop indexes, record keys). */
export type PathPart = { readonly text: string } | { readonly expr: string };

export class ValidatorCode {
  /** Module-level helper functions, by name, in the order they were first needed. */
  readonly helpers = new Map<string, string>();
  /** Whether any emitted code calls `fail`, so the helper is emitted only when used. */
  usesFail = false;
  private predicates = 0;
  private readonly predicateNames = new Map<string, string>();
  private variables = 0;

  constructor(private readonly types: Readonly<Record<string, TypeModel>>) {}

  /** Restarts variable numbering, so each function reads `v1`, `v2`, ... from the top. */
  resetVariables(): void {
    this.variables = 0;
  }

  check(type: TypeModel, value: string, path: readonly PathPart[], mode: CheckMode, indent: string): string[] {
    const simple = this.simpleCheck(type, value);
    if (simple !== undefined) return simple === null ? [] : [`${indent}if (${simple.fails}) ${this.fail(path, simple.message, mode)}`];
    switch (type.kind) {
      case "array":
        return this.array(type.element, value, path, mode, indent);
      case "tuple":
        return this.tuple(type, value, path, mode, indent);
      case "record":
        return this.record(type.value, value, path, mode, indent);
      case "object":
        return this.objectOf(value, path, mode, indent, (object, inner) => this.properties(type.properties, object, path, mode, inner));
      case "ref":
        return this.ref(type.name, value, path, mode, indent);
      case "union":
        return this.union(type.members, value, path, mode, indent);
      default:
        return [];
    }
  }

  /** A check that is one condition, `null` for no check at all, undefined when it needs statements. */
  private simpleCheck(type: TypeModel, value: string): { fails: string; passes: string; message: string } | null | undefined {
    const typeOf = (name: string) => ({ fails: `typeof ${value} !== "${name}"`, passes: `typeof ${value} === "${name}"`, message: `expected ${name}` });
    switch (type.kind) {
      case "string":
      case "number":
      case "boolean":
      case "bigint":
        return typeOf(type.kind);
      case "null":
        return { fails: `${value} !== null`, passes: `${value} === null`, message: "expected null" };
      case "undefined":
        return { fails: `${value} !== undefined`, passes: `${value} === undefined`, message: "expected undefined" };
      case "literal":
        return { fails: `${value} !== ${literal(type.value)}`, passes: `${value} === ${literal(type.value)}`, message: `expected ${literal(type.value)}` };
      case "date":
        return { fails: `!(${value} instanceof Date)`, passes: `${value} instanceof Date`, message: "expected Date" };
      case "bytes":
        return { fails: `!(${value} instanceof Uint8Array)`, passes: `${value} instanceof Uint8Array`, message: "expected Uint8Array" };
      case "unknown":
      case "void":
        return null;
      case "union": {
        const members = type.members.map((member) => this.simpleCheck(member, value));
        if (members.some((member) => member === null)) return null;
        if (members.some((member) => member === undefined)) return undefined;
        const checks = members as { fails: string; passes: string }[];
        return { fails: checks.map((check) => check.fails).join(" && "), passes: checks.map((check) => check.passes).join(" || "), message: `expected ${describe(type)}` };
      }
      default:
        return undefined;
    }
  }

  private array(element: TypeModel, value: string, path: readonly PathPart[], mode: CheckMode, indent: string): string[] {
    const index = this.variable("i");
    const item = this.variable("v");
    const body = this.check(element, item, [...path, { text: "[" }, { expr: index }, { text: "]" }], mode, `${indent}    `);
    const lines = [`${indent}if (!Array.isArray(${value})) ${this.fail(path, "expected array", mode)}`];
    if (body.length === 0) return lines;
    return [
      ...lines,
      `${indent}else {`,
      `${indent}  for (let ${index} = 0; ${index} < ${value}.length; ${index}++) {`,
      `${indent}    const ${item}: unknown = ${value}[${index}];`,
      ...body,
      `${indent}  }`,
      `${indent}}`,
    ];
  }

  private tuple(type: Extract<TypeModel, { kind: "tuple" }>, value: string, path: readonly PathPart[], mode: CheckMode, indent: string): string[] {
    const required = type.elements.filter((element) => !element.optional).length;
    const max = type.elements.length;
    const bounds = [`${value}.length < ${required}`];
    if (type.rest === undefined) bounds.push(`${value}.length > ${max}`);
    const expected = type.rest === undefined ? (required === max ? `${max}` : `${required} to ${max}`) : `at least ${required}`;
    const body: string[] = [];
    type.elements.forEach((element, position) => {
      const item = this.variable("v");
      const inner = this.check(element.type, item, [...path, { text: `[${position}]` }], mode, element.optional ? `${indent}    ` : `${indent}  `);
      if (inner.length === 0) return;
      body.push(`${indent}  const ${item}: unknown = ${value}[${position}];`);
      if (element.optional) body.push(`${indent}  if (${item} !== undefined) {`, ...inner, `${indent}  }`);
      else body.push(...inner);
    });
    if (type.rest !== undefined) {
      const index = this.variable("i");
      const item = this.variable("v");
      const inner = this.check(type.rest, item, [...path, { text: "[" }, { expr: index }, { text: "]" }], mode, `${indent}    `);
      if (inner.length > 0) body.push(`${indent}  for (let ${index} = ${max}; ${index} < ${value}.length; ${index}++) {`, `${indent}    const ${item}: unknown = ${value}[${index}];`, ...inner, `${indent}  }`);
    }
    const lines = [`${indent}if (!Array.isArray(${value}) || ${bounds.join(" || ")}) ${this.fail(path, `expected a tuple of ${expected} elements`, mode)}`];
    return body.length === 0 ? lines : [...lines, `${indent}else {`, ...body, `${indent}}`];
  }

  private record(valueType: TypeModel, value: string, path: readonly PathPart[], mode: CheckMode, indent: string): string[] {
    return this.objectOf(value, path, mode, indent, (object, inner) => {
      const key = this.variable("k");
      const item = this.variable("v");
      const body = this.check(valueType, item, [...path, { text: "[" }, { expr: `JSON.stringify(${key})` }, { text: "]" }], mode, `${inner}  `);
      if (body.length === 0) return [];
      return [`${inner}for (const ${key} in ${object}) {`, `${inner}  const ${item} = ${object}[${key}];`, ...body, `${inner}}`];
    });
  }

  /** Checks that `value` is a plain object, then runs `body` on it as a `Record<string, unknown>`. */
  private objectOf(value: string, path: readonly PathPart[], mode: CheckMode, indent: string, body: (object: string, indent: string) => string[]): string[] {
    const object = this.variable("o");
    const inner = body(object, `${indent}  `);
    // Dates and byte arrays decode as objects too, and would pass for an object of optional fields.
    const notObject = `typeof ${value} !== "object" || ${value} === null || Array.isArray(${value}) || ${value} instanceof Date || ${value} instanceof Uint8Array`;
    const lines = [`${indent}if (${notObject}) ${this.fail(path, "expected object", mode)}`];
    if (inner.length === 0) return lines;
    return [...lines, `${indent}else {`, `${indent}  const ${object} = ${value} as Record<string, unknown>;`, ...inner, `${indent}}`];
  }

  private properties(properties: readonly PropertyModel[], object: string, path: readonly PathPart[], mode: CheckMode, indent: string): string[] {
    const lines: string[] = [];
    for (const property of properties) {
      const item = this.variable("v");
      const propertyPath = [...path, { text: memberPath(property.name) }];
      const required = !property.optional && !acceptsUndefined(property.type, this.types);
      const simple = this.simpleCheck(property.type, item);
      if (simple === null && !required) continue;
      lines.push(`${indent}const ${item} = ${object}[${quote(property.name)}];`);
      if (required) lines.push(`${indent}if (${item} === undefined) ${this.fail(propertyPath, "is required", mode)}`);
      if (simple === null) continue;
      if (simple !== undefined) {
        const guard = required ? "else if" : `if (${item} !== undefined &&`;
        lines.push(required ? `${indent}else if (${simple.fails}) ${this.fail(propertyPath, simple.message, mode)}` : `${indent}${guard} ${simple.fails}) ${this.fail(propertyPath, simple.message, mode)}`);
        continue;
      }
      if (!required) {
        lines.push(`${indent}if (${item} !== undefined) {`, ...this.check(property.type, item, propertyPath, mode, `${indent}  `), `${indent}}`);
        continue;
      }
      const chained = this.check(property.type, item, propertyPath, mode, indent);
      // One if/else chain continues the `is required` test as `else if`; anything else gets a block.
      if (isOneChain(chained, indent)) lines.push(`${indent}else ${chained[0]!.slice(indent.length)}`, ...chained.slice(1));
      else lines.push(`${indent}else {`, ...chained.map((line) => `  ${line}`), `${indent}}`);
    }
    return lines;
  }

  private union(members: readonly TypeModel[], value: string, path: readonly PathPart[], mode: CheckMode, indent: string): string[] {
    const nullish = members.filter((member) => member.kind === "null" || member.kind === "undefined");
    const rest = members.filter((member) => member.kind !== "null" && member.kind !== "undefined");
    const tag = mode === "collect" ? discriminant(rest) : undefined;
    if (nullish.length > 0 && (rest.length === 1 || tag !== undefined)) {
      // `T | null` is the common case: check T, with its own detailed paths, unless the value is absent.
      const guard = nullish.map((member) => `${value} !== ${member.kind}`).join(" && ");
      const inner = this.check(rest.length === 1 ? rest[0]! : { kind: "union", members: rest }, value, path, mode, `${indent}  `);
      return [`${indent}if (${guard}) {`, ...inner, `${indent}}`];
    }
    if (tag !== undefined) return this.discriminated(rest as ObjectModel[], tag, value, path, indent);
    const passes = members.map((member) => this.simpleCheck(member, value)?.passes ?? `${this.predicate(member)}(${value})`);
    return [`${indent}if (!(${passes.join(" || ")})) ${this.fail(path, `expected ${describe({ kind: "union", members })}`, mode)}`];
  }

  /** Objects told apart by a literal field (`kind: "circle" | "square"`): check the matching one in detail. */
  private discriminated(members: readonly ObjectModel[], tag: string, value: string, path: readonly PathPart[], indent: string): string[] {
    return this.objectOf(value, path, "collect", indent, (object, inner) => {
      const lines = [`${inner}switch (${object}[${quote(tag)}]) {`];
      const values: string[] = [];
      for (const member of members) {
        const tagValue = literal((member.properties.find((property) => property.name === tag)!.type as { value: string | number | boolean }).value);
        values.push(tagValue);
        const others = member.properties.filter((property) => property.name !== tag);
        lines.push(`${inner}  case ${tagValue}: {`, ...this.properties(others, object, path, "collect", `${inner}    `), `${inner}    break;`, `${inner}  }`);
      }
      lines.push(`${inner}  default:`, `${inner}    ${this.fail([...path, { text: memberPath(tag) }], `expected ${values.join(" | ")}`, "collect")}`, `${inner}}`);
      return lines;
    });
  }

  private ref(name: string, value: string, path: readonly PathPart[], mode: CheckMode, indent: string): string[] {
    const check = `check${name}`;
    const test = `is${name}`;
    const definition = this.types[name] ?? { kind: "unknown" };
    if (mode === "test") {
      this.helper(test, () => this.testFunction(test, definition, `Whether a value is a ${name}.`));
      return [`${indent}if (!${test}(${value})) return false;`];
    }
    this.helper(check, () => {
      const saved = this.variables;
      this.variables = 0;
      const body = this.check(definition, "value", [{ expr: "path" }], "collect", "  ");
      this.variables = saved;
      return [
        `/** Checks a ${name}; recursive, so it takes the path so far (built only for recursive types). */`,
        `function ${check}(value: unknown, path: string, found: ValidationIssue[] | undefined): ValidationIssue[] | undefined {`,
        "  let issues = found;",
        ...body,
        "  return issues;",
        "}",
      ].join("\n");
    });
    return [`${indent}issues = ${check}(${value}, ${renderPath(path)}, issues);`];
  }

  /** A `(value) => boolean` helper for one union member, named in order of first use, shared by equal members. */
  private predicate(type: TypeModel): string {
    if (type.kind === "ref") {
      const name = `is${type.name}`;
      this.helper(name, () => this.testFunction(name, this.types[type.name] ?? { kind: "unknown" }, `Whether a value is a ${type.name}.`));
      return name;
    }
    const key = JSON.stringify(type);
    const known = this.predicateNames.get(key);
    if (known !== undefined) return known;
    const name = `isMember${++this.predicates}`;
    this.predicateNames.set(key, name);
    this.helper(name, () => this.testFunction(name, type, `Whether a value is ${describe(type)} (one member of a union).`));
    return name;
  }

  private testFunction(name: string, type: TypeModel, doc: string): string {
    const saved = this.variables;
    this.variables = 0;
    const body = this.check(type, "value", [], "test", "  ");
    this.variables = saved;
    return [`/** ${doc} */`, `function ${name}(value: unknown): boolean {`, ...body, "  return true;", "}"].join("\n");
  }

  private helper(name: string, build: () => string): void {
    if (this.helpers.has(name)) return;
    this.helpers.set(name, ""); // reserve first: a recursive type's helper refers to itself
    this.helpers.set(name, build());
  }

  private fail(path: readonly PathPart[], message: string, mode: CheckMode): string {
    if (mode === "test") return "return false;";
    this.usesFail = true;
    return `issues = fail(issues, ${renderPath(path)}, ${quote(message)});`;
  }

  private variable(prefix: string): string {
    return `${prefix}${++this.variables}`;
  }
}

type ObjectModel = Extract<TypeModel, { kind: "object" }>;

/** Whether `lines` are a single `if ... else ...` statement at `indent`. */
function isOneChain(lines: readonly string[], indent: string): boolean {
  if (lines.length === 0 || !lines[0]!.startsWith(`${indent}if (`)) return false;
  return lines.slice(1).every((line) => line.startsWith(`${indent} `) || line.startsWith(`${indent}else`) || line === `${indent}}`);
}

/** The field every member of a union of objects has with a distinct literal value, if any. */
function discriminant(members: readonly TypeModel[]): string | undefined {
  if (members.length < 2 || !members.every((member): member is ObjectModel => member.kind === "object")) return undefined;
  const first = members[0] as ObjectModel;
  for (const candidate of first.properties) {
    const values = new Set<string>();
    const fits = members.every((member) => {
      const property = (member as ObjectModel).properties.find((item) => item.name === candidate.name);
      if (property === undefined || property.optional || property.type.kind !== "literal") return false;
      const key = literal(property.type.value);
      if (values.has(key)) return false;
      values.add(key);
      return true;
    });
    if (fits) return candidate.name;
  }
  return undefined;
}

function acceptsUndefined(type: TypeModel, types: Readonly<Record<string, TypeModel>>): boolean {
  switch (type.kind) {
    case "undefined":
    case "unknown":
    case "void":
      return true;
    case "union":
      return type.members.some((member) => acceptsUndefined(member, types));
    case "ref": {
      const target = types[type.name];
      return target !== undefined && target.kind !== "ref" && acceptsUndefined(target, types);
    }
    default:
      return false;
  }
}

/** A short human description of a type, for messages such as `expected string | null`. */
export function describe(type: TypeModel): string {
  switch (type.kind) {
    case "literal":
      return literal(type.value);
    case "date":
      return "Date";
    case "bytes":
      return "Uint8Array";
    case "object":
    case "record":
      return "object";
    case "array":
      return "array";
    case "tuple":
      return "tuple";
    case "ref":
      return type.name;
    case "union":
      return type.members.map(describe).join(" | ");
    default:
      return type.kind;
  }
}

function literal(value: string | number | boolean): string {
  return typeof value === "string" ? quote(value) : String(value);
}

function memberPath(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${quote(name)}]`;
}

/** A string literal when the path is fixed, else a template literal evaluated only on failure. */
export function renderPath(path: readonly PathPart[]): string {
  if (path.length === 1 && "expr" in path[0]!) return path[0].expr;
  if (path.every((part) => "text" in part)) return quote(path.map((part) => (part as { text: string }).text).join(""));
  const parts = path.map((part) => ("text" in part ? part.text.replace(/[`\\]|\$\{/g, (match) => `\\${match}`) : `\${${part.expr}}`));
  return `\`${parts.join("")}\``;
}
