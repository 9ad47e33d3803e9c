import type { PropertyModel, TypeModel } from "./model.js";
import { quote } from "./format.js";
import { grouped, simpleCheck, type SimpleCheck } from "./simple-check.js";
import { acceptsUndefined, discriminant, holdsMaps, holdsObjects, type ObjectModel } from "./type-facts.js";
import { ValidatorModule } from "./validator-module.js";
import { RuntimeHelper } from "./validator-runtime.js";
import { describe, literal, memberPath, renderPath, type PathPart } from "./validator-text.js";

/**
 * Writes the statements that check one value against a `TypeModel`. Paths are built only when a
 * check fails, so a valid value costs type tests and property reads, never a string or an array.
 * In "collect" mode a failure records an issue and checking goes on (every problem is reported);
 * in "test" mode (the predicates unions need) the first failure returns false.
 *
 * Properties a type does not declare are removed in "collect" mode (reported instead when the
 * generated function's `strict` is true). In "test" mode they count against a value only when
 * the predicate's `exact` is true: a union first looks for a member the value matches as sent,
 * and only then for one it matches once undeclared properties are set aside.
 *
 * Finding undeclared properties means visiting each object's keys (`for...in`), which doubled
 * the cost of a valid `PlaceOrder` (about 40 to 80 ns). So a validator that can count instead
 * adds up the declared properties it reads (`declared`) and compares the sum with the number of
 * map entries the decoder counted (`mapEntries`): equal, there is no other property anywhere;
 * different, or not given, the keys are visited (`thorough`). It can count when every object
 * of the value passes through its own code: no `unknown`, no recursive type (a helper function
 * checks those) and no union member that holds objects (a predicate tests those).
 */
export type CheckMode = "collect" | "test";

export class ValidatorCode {
  /** Helper functions and constants the checks call, and the runtime helpers they use. */
  readonly module = new ValidatorModule();
  private variables = 0;
  /** The function being written counts declared properties (see above). */
  private counting = false;
  /** Whether everything written so far could be counted. */
  private countable = true;

  constructor(private readonly types: Readonly<Record<string, TypeModel>>) {}

  /** Starts a validator function: restarts variable numbering (`v1`, `v2`, ... from the top), and counts or not. */
  begin(counting: boolean): void {
    this.variables = 0;
    this.counting = counting;
    this.countable = true;
  }

  /** Whether the function written since `begin(true)` counted every declared property it met. */
  get counted(): boolean {
    return this.counting && this.countable;
  }

  /** Whether checks of `type` meet objects, so the generated function takes `strict` (or `exact`). */
  strips(type: TypeModel): boolean {
    return holdsObjects(type, this.types);
  }

  check(type: TypeModel, value: string, path: readonly PathPart[], mode: CheckMode, indent: string): string[] {
    const simple = this.simpleCheck(type, value);
    if (simple === null) this.uncounted(mode); // `unknown` may hold objects nobody reads
    if (simple !== undefined) return simple === null ? [] : [`${indent}if (${simple.fails}) ${this.fail(path, simple.message, mode)}`];
    switch (type.kind) {
      case "array":
        return this.array(type.element, value, path, mode, indent);
      case "tuple":
        return this.tuple(type, value, path, mode, indent);
      case "record":
        return this.record(type.value, value, path, mode, indent);
      case "object":
        return this.objectOf(value, path, mode, indent, (object, inner) => {
          const count: Count = { fixed: 0, present: [] };
          return [...this.properties(type.properties, object, path, mode, inner, count), ...this.countLine(count, mode, inner), ...this.undeclared(type.properties, object, path, mode, inner)];
        });
      case "ref":
        return this.ref(type.name, value, path, mode, indent);
      case "union":
        return this.union(type.members, value, path, mode, indent);
      default:
        return [];
    }
  }

  private simpleCheck(type: TypeModel, value: string): SimpleCheck | null | undefined {
    return simpleCheck(type, value, (template) => this.template(template));
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

  /** A `Record<string, T>` keeps every key: an index signature declares them all. */
  private record(valueType: TypeModel, value: string, path: readonly PathPart[], mode: CheckMode, indent: string): string[] {
    return this.objectOf(value, path, mode, indent, (object, inner) => {
      const key = this.variable("k");
      const item = this.variable("v");
      const body = this.check(valueType, item, [...path, { text: "[" }, { expr: `JSON.stringify(${key})` }, { text: "]" }], mode, `${inner}  `);
      if (body.length === 0) return [];
      const count = this.counting && mode === "collect" ? [`${inner}  declared++;`] : [];
      return [`${inner}for (const ${key} in ${object}) {`, ...count, `${inner}  const ${item} = ${object}[${key}];`, ...body, `${inner}}`];
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

  private properties(properties: readonly PropertyModel[], object: string, path: readonly PathPart[], mode: CheckMode, indent: string, count: Count): string[] {
    const lines: string[] = [];
    for (const property of properties) {
      const item = this.variable("v");
      const propertyPath = [...path, { text: memberPath(property.name) }];
      const required = !property.optional && !acceptsUndefined(property.type, this.types);
      const simple = this.simpleCheck(property.type, item);
      if (simple === null && !required) {
        this.uncounted(mode);
        continue;
      }
      // `constructor`, `toString`, ... would be read from the prototype when the value lacks them.
      const inherited = Object.hasOwn(Object.prototype, property.name);
      const read = `${object}[${quote(property.name)}]`;
      lines.push(`${indent}const ${item} = ${inherited ? `Object.hasOwn(${object}, ${quote(property.name)}) ? ${read} : undefined` : read};`);
      // A missing required property makes the value invalid, and an invalid value is checked again.
      if (required) count.fixed++;
      else count.present.push(`(${item} === undefined ? 0 : 1)`);
      if (required) lines.push(`${indent}if (${item} === undefined) ${this.fail(propertyPath, "is required", mode)}`);
      if (simple === null) continue;
      if (simple !== undefined) {
        const guard = required ? "else if" : `if (${item} !== undefined &&`;
        lines.push(required ? `${indent}else if (${simple.fails}) ${this.fail(propertyPath, simple.message, mode)}` : `${indent}${guard} ${grouped(simple.fails)}) ${this.fail(propertyPath, simple.message, mode)}`);
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

  /** `declared += ...`: the declared properties an object has, when counting. */
  private countLine(count: Count, mode: CheckMode, indent: string): string[] {
    if (!this.counting || mode === "test") return [];
    const terms = count.fixed > 0 || count.present.length === 0 ? [String(count.fixed), ...count.present] : count.present;
    return [`${indent}declared += ${terms.join(" + ")};`];
  }

  /** Visits the keys of `object` that `properties` do not declare: removed or reported, or (exact test) a mismatch. */
  private undeclared(properties: readonly PropertyModel[], object: string, path: readonly PathPart[], mode: CheckMode, indent: string): string[] {
    const key = this.variable("k");
    const declared = properties.map((property) => `${key} !== ${quote(property.name)}`).join(" && ");
    const loop = `for (const ${key} in ${object}) ${declared === "" ? "" : `if (${declared}) `}`;
    if (mode === "test") return [`${indent}if (exact) ${loop}return false;`];
    this.module.use(RuntimeHelper.Undeclared, RuntimeHelper.Fail);
    return [`${indent}${this.counting ? "if (thorough) " : ""}${loop}issues = undeclared(${object}, ${key}, ${renderPath(path)}, strict, issues);`];
  }

  /** What was just written cannot be counted: the function visits every key instead. */
  private uncounted(mode: CheckMode): void {
    if (mode === "collect") this.countable = false;
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
    const exact = mode === "test" ? "exact" : "true";
    if (members.some((member) => holdsMaps(member, this.types))) this.uncounted(mode);
    const passes = members.map((member) => grouped(this.simpleCheck(member, value)?.passes ?? this.predicateCall(member, value, exact)));
    const expected = `expected ${describe({ kind: "union", members })}`;
    const loose = mode === "collect" ? members.filter((member) => this.strips(member)) : [];
    if (loose.length === 0) return [`${indent}if (!(${passes.join(" || ")})) ${this.fail(path, expected, mode)}`];
    const lines = [
      `${indent}if (!(${passes.join(" || ")})) {`,
      `${indent}  // No member matches as sent. The first that matches once undeclared properties are set`,
      `${indent}  // aside is checked again, which removes them (or, strict, reports them).`,
    ];
    loose.forEach((member, index) => {
      lines.push(`${indent}  ${index === 0 ? "if" : "else if"} (${this.predicateCall(member, value, "false")}) {`, ...this.check(member, value, path, "collect", `${indent}    `), `${indent}  }`);
    });
    lines.push(`${indent}  else ${this.fail(path, expected, mode)}`, `${indent}}`);
    return lines;
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
        const count: Count = { fixed: 1, present: [] };
        lines.push(
          `${inner}  case ${tagValue}: {`,
          ...this.properties(others, object, path, "collect", `${inner}    `, count),
          ...this.countLine(count, "collect", `${inner}    `),
          ...this.undeclared(member.properties, object, path, "collect", `${inner}    `),
          `${inner}    break;`,
          `${inner}  }`,
        );
      }
      lines.push(`${inner}  default:`, `${inner}    ${this.fail([...path, { text: memberPath(tag) }], `expected ${values.join(" | ")}`, "collect")}`, `${inner}}`);
      return lines;
    });
  }

  private ref(name: string, value: string, path: readonly PathPart[], mode: CheckMode, indent: string): string[] {
    const definition = this.types[name] ?? { kind: "unknown" };
    const strips = this.strips(definition);
    if (mode === "test") return [`${indent}if (!${this.predicateCall({ kind: "ref", name }, value, "exact")}) return false;`];
    // The helper's objects are not counted: it serves every path to the type, counting or not.
    if (holdsMaps(definition, this.types)) this.uncounted(mode);
    const check = `check${name}`;
    this.helper(check, () => {
      const saved = { variables: this.variables, counting: this.counting, countable: this.countable };
      this.variables = 0;
      this.counting = false;
      const body = this.check(definition, "value", [{ expr: "path" }], "collect", "  ");
      ({ variables: this.variables, counting: this.counting, countable: this.countable } = saved);
      return [
        `/** Checks a ${name}; recursive, so it takes the path so far (built only for recursive types). */`,
        `function ${check}(value: unknown, path: string, found: ValidationIssue[] | undefined${strips ? ", strict: boolean" : ""}): ValidationIssue[] | undefined {`,
        "  let issues = found;",
        ...body,
        "  return issues;",
        "}",
      ].join("\n");
    });
    return [`${indent}issues = ${check}(${value}, ${renderPath(path)}, issues${strips ? ", strict" : ""});`];
  }

  /** A call of the predicate for `type`, passing `exact` when the type can hold undeclared properties. */
  private predicateCall(type: TypeModel, value: string, exact: string): string {
    return this.strips(type) ? `${this.predicate(type)}(${value}, ${exact})` : `${this.predicate(type)}(${value})`;
  }

  /** A `(value) => boolean` helper for one union member, named in order of first use, shared by equal members. */
  private predicate(type: TypeModel): string {
    if (type.kind === "ref") {
      const name = `is${type.name}`;
      this.helper(name, () => this.testFunction(name, this.types[type.name] ?? { kind: "unknown" }, `Whether a value is a ${type.name}.`));
      return name;
    }
    const { name } = this.module.nameFor("isMember", JSON.stringify(type));
    this.helper(name, () => this.testFunction(name, type, `Whether a value is ${describe(type)} (one member of a union).`));
    return name;
  }

  private testFunction(name: string, type: TypeModel, doc: string): string {
    const saved = { variables: this.variables, counting: this.counting };
    this.variables = 0;
    this.counting = false;
    const body = this.check(type, "value", [], "test", "  ");
    ({ variables: this.variables, counting: this.counting } = saved);
    const parameters = this.strips(type) ? "value: unknown, exact: boolean" : "value: unknown";
    const fullDoc = this.strips(type) ? `/** ${doc} With \`exact\`, a property its type does not declare makes it not one. */` : `/** ${doc} */`;
    return [fullDoc, `function ${name}(${parameters}): boolean {`, ...body, "  return true;", "}"].join("\n");
  }

  /** The module constant describing a template literal type, for `matchesTemplate`. */
  private template(type: Extract<TypeModel, { kind: "template" }>): string {
    const { name, isNew } = this.module.nameFor("template", JSON.stringify(type));
    if (!isNew) return name;
    this.module.use(RuntimeHelper.MatchesTemplate);
    const texts = type.texts.map((text) => quote(text)).join(", ");
    const holes = type.holes.map((hole) => quote(hole)).join(", ");
    this.helper(name, () => [`/** ${describe(type).replace(/\*\//g, "*\\/")} */`, `const ${name} = { texts: [${texts}], holes: [${holes}] };`].join("\n"));
    return name;
  }

  private helper(name: string, build: () => string): void {
    this.module.declare(name, build);
  }

  private fail(path: readonly PathPart[], message: string, mode: CheckMode): string {
    if (mode === "test") return "return false;";
    this.module.use(RuntimeHelper.Fail);
    return `issues = fail(issues, ${renderPath(path)}, ${quote(message)});`;
  }

  private variable(prefix: string): string {
    return `${prefix}${++this.variables}`;
  }
}

/** The declared properties of one object, when counting: how many are required, and the test of each optional one. */
interface Count {
  fixed: number;
  present: string[];
}

/** Whether `lines` are a single `if ... else ...` statement at `indent`. */
function isOneChain(lines: readonly string[], indent: string): boolean {
  if (lines.length === 0 || !lines[0]!.startsWith(`${indent}if (`)) return false;
  return lines.slice(1).every((line) => line.startsWith(`${indent} `) || line.startsWith(`${indent}else`) || line === `${indent}}`);
}
