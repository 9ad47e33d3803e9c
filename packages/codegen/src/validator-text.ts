import { quote } from "./format.js";
import type { TemplateHole, TypeModel } from "./model.js";

/** A path to the checked value: literal text and expressions (loop indexes, record keys). */
export type PathPart = { readonly text: string } | { readonly expr: string };

/** A short human description of a type, for messages such as `expected string | null`. */
export function describe(type: TypeModel): string {
  switch (type.kind) {
    case "literal":
      return literal(type.value);
    case "template":
      return describeTemplate(type.texts, type.holes);
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
      return [...new Set(type.members.map(describe))].join(" | ");
    default:
      return type.kind;
  }
}

/** A template literal type as TypeScript prints it: `` `user-${string}` ``. */
export function describeTemplate(texts: readonly string[], holes: readonly TemplateHole[]): string {
  const hole = (name: TemplateHole): string => (name === "string" || name === "number" || name === "bigint" ? name : `${name}<string>`);
  return `\`${texts.map((text, index) => (index === 0 ? text : `\${${hole(holes[index - 1]!)}}${text}`)).join("")}\``;
}

/** A literal as source text. */
export function literal(value: string | number | boolean): string {
  return typeof value === "string" ? quote(value) : String(value);
}

/** `.name`, or `["odd name"]` when the name is not an identifier. */
export function memberPath(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${quote(name)}]`;
}

/** A string literal when the path is fixed, else a template literal evaluated only on failure. */
export function renderPath(path: readonly PathPart[]): string {
  if (path.length === 1 && "expr" in path[0]!) return path[0].expr;
  if (path.every((part) => "text" in part)) return quote(path.map((part) => (part as { text: string }).text).join(""));
  const parts = path.map((part) => ("text" in part ? part.text.replace(/[`\\]|\$\{/g, (match) => `\\${match}`) : `\${${part.expr}}`));
  return `\`${parts.join("")}\``;
}
