import type { TypeModel } from "./model.js";

/** Facts about a `TypeModel` that decide which checks a validator needs. */

export type ObjectModel = Extract<TypeModel, { kind: "object" }>;
type NamedTypes = Readonly<Record<string, TypeModel>>;

/**
 * Whether a value of `type` can hold an object with declared properties, and so properties its
 * type does not declare: such values are checked with `strict` (and tested with `exact`).
 */
export function holdsObjects(type: TypeModel, types: NamedTypes): boolean {
  return holds(type, types, (part) => part.kind === "object", new Set());
}

/** Whether a value of `type` can hold a msgpack map: an object, or a record. */
export function holdsMaps(type: TypeModel, types: NamedTypes): boolean {
  return holds(type, types, (part) => part.kind === "object" || part.kind === "record", new Set());
}

function holds(type: TypeModel, types: NamedTypes, match: (part: TypeModel) => boolean, seen: Set<string>): boolean {
  if (match(type)) return true;
  switch (type.kind) {
    case "array":
      return holds(type.element, types, match, seen);
    case "tuple":
      return type.elements.some((element) => holds(element.type, types, match, seen)) || (type.rest !== undefined && holds(type.rest, types, match, seen));
    case "record":
      return holds(type.value, types, match, seen);
    case "object":
      return type.properties.some((property) => holds(property.type, types, match, seen));
    case "union":
      return type.members.some((member) => holds(member, types, match, seen));
    case "ref": {
      // A type met again on its own path adds nothing the first visit does not see.
      if (seen.has(type.name)) return false;
      seen.add(type.name);
      const target = types[type.name];
      return target !== undefined && holds(target, types, match, seen);
    }
    default:
      return false;
  }
}

export function acceptsUndefined(type: TypeModel, types: NamedTypes): boolean {
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

/** The field every member of a union of objects has with a distinct literal value, if any. */
export function discriminant(members: readonly TypeModel[]): string | undefined {
  if (members.length < 2 || !members.every((member): member is ObjectModel => member.kind === "object")) return undefined;
  const first = members[0] as ObjectModel;
  for (const candidate of first.properties) {
    const values = new Set<string>();
    const fits = members.every((member) => {
      const property = (member as ObjectModel).properties.find((item) => item.name === candidate.name);
      if (property === undefined || property.optional || property.type.kind !== "literal") return false;
      const key = JSON.stringify(property.type.value);
      if (values.has(key)) return false;
      values.add(key);
      return true;
    });
    if (fits) return candidate.name;
  }
  return undefined;
}
