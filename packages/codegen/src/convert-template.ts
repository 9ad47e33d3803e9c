import { ts, type Type } from "ts-morph";
import type { TemplateHole, TypeModel } from "./model.js";

const mappings: ReadonlySet<string> = new Set<TemplateHole>(["Uppercase", "Lowercase", "Capitalize", "Uncapitalize"]);

/**
 * The model of a template literal type (`user-${string}`) or of a string mapping
 * (`Uppercase<string>`, a template with one placeholder and no text), or the reason it cannot be
 * checked. The checker has already distributed unions (`${"a" | "b"}-x` is `"a-x" | "b-x"`) and
 * flattened nested templates, so a placeholder is `string`, `number`, `bigint`, a mapping of
 * `string`, or something rarer that codegen refuses rather than check loosely.
 */
export function templateModel(type: Type): TypeModel | { problem: string } {
  const compiler = type.compilerType;
  if ((compiler.flags & ts.TypeFlags.StringMapping) !== 0) {
    const hole = holeOf(compiler);
    return hole === undefined ? { problem: unsupported(type.getText()) } : { kind: "template", texts: ["", ""], holes: [hole] };
  }
  const template = compiler as ts.TemplateLiteralType;
  const holes: TemplateHole[] = [];
  for (const placeholder of template.types) {
    const hole = holeOf(placeholder);
    if (hole === undefined) return { problem: unsupported(type.getText()) };
    holes.push(hole);
  }
  return { kind: "template", texts: [...template.texts], holes };
}

function holeOf(type: ts.Type): TemplateHole | undefined {
  if ((type.flags & ts.TypeFlags.String) !== 0) return "string";
  if ((type.flags & ts.TypeFlags.Number) !== 0) return "number";
  if ((type.flags & ts.TypeFlags.BigInt) !== 0) return "bigint";
  if ((type.flags & ts.TypeFlags.StringMapping) !== 0) {
    const mapping = type as ts.StringMappingType;
    const name = String(mapping.symbol.escapedName);
    // Only a mapping of plain `string`: `Uppercase<Lowercase<string>>` is refused, not guessed at.
    return mappings.has(name) && (mapping.type.flags & ts.TypeFlags.String) !== 0 ? (name as TemplateHole) : undefined;
  }
  // `${string & {}}` (a common trick to keep editor completions) is a string placeholder.
  if ((type.flags & ts.TypeFlags.Intersection) !== 0) {
    const parts = (type as ts.IntersectionType).types;
    const strings = parts.filter((part) => (part.flags & ts.TypeFlags.String) !== 0);
    const empty = parts.filter((part) => (part.flags & ts.TypeFlags.Object) !== 0 && (part as ts.ObjectType).getProperties().length === 0);
    if (strings.length === 1 && strings.length + empty.length === parts.length) return "string";
  }
  return undefined;
}

function unsupported(text: string): string {
  return `has template literal type ${text}, with a placeholder codegen cannot check (it checks \${string}, \${number}, \${bigint} and Uppercase, Lowercase, Capitalize or Uncapitalize of string)`;
}
