import type { TypeModel } from "./model.js";
import { describe, literal } from "./validator-text.js";

/** A check that is one condition: when it fails, when it passes, and what a failure says. */
export interface SimpleCheck {
  readonly fails: string;
  readonly passes: string;
  readonly message: string;
}

/**
 * The check of `value` against `type` as one condition; `null` when there is nothing to check
 * (`unknown`), undefined when the type needs statements (objects, arrays, ...). `template` names
 * the module constant describing a template literal type.
 */
export function simpleCheck(type: TypeModel, value: string, template: (type: Extract<TypeModel, { kind: "template" }>) => string): SimpleCheck | null | undefined {
  const typeOf = (name: string): SimpleCheck => ({ fails: `typeof ${value} !== "${name}"`, passes: `typeof ${value} === "${name}"`, message: `expected ${name}` });
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
    case "template": {
      const name = template(type);
      return {
        fails: `typeof ${value} !== "string" || !matchesTemplate(${value}, ${name})`,
        passes: `typeof ${value} === "string" && matchesTemplate(${value}, ${name})`,
        message: `expected ${describe(type)}`,
      };
    }
    case "date":
      return { fails: `!(${value} instanceof Date)`, passes: `${value} instanceof Date`, message: "expected Date" };
    case "bytes":
      return { fails: `!(${value} instanceof Uint8Array)`, passes: `${value} instanceof Uint8Array`, message: "expected Uint8Array" };
    case "unknown":
    case "void":
      return null;
    case "union": {
      const members = type.members.map((member) => simpleCheck(member, value, template));
      if (members.some((member) => member === null)) return null;
      if (members.some((member) => member === undefined)) return undefined;
      const checks = members as SimpleCheck[];
      return { fails: checks.map((check) => grouped(check.fails)).join(" && "), passes: checks.map((check) => grouped(check.passes)).join(" || "), message: `expected ${describe(type)}` };
    }
    default:
      return undefined;
  }
}

/** `expression` in parentheses when it joins terms with `&&` or `||`, to be one term of another. */
export function grouped(expression: string): string {
  return /&&|\|\|/.test(expression) ? `(${expression})` : expression;
}
