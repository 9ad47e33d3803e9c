import type { TypeModel } from "./model.js";

const keyKinds: ReadonlySet<string> = new Set(["string", "template", "number", "bigint", "boolean"]);

/**
 * Checks that `keyPath` names a field of the request that can serve as a partition key (a
 * string, number, bigint or boolean, possibly optional). Returns the problem, or undefined.
 */
export function checkKeyPath(request: TypeModel, keyPath: string, types: ReadonlyMap<string, TypeModel>): string | undefined {
  let current: TypeModel = request;
  let walked = "req";
  for (const segment of keyPath.split(".")) {
    current = resolve(current, types);
    if (current.kind !== "object") return `${walked} is not an object with fields`;
    const property = current.properties.find((candidate) => candidate.name === segment);
    if (property === undefined) {
      const known = current.properties.map((candidate) => candidate.name);
      return `${walked} has no field ${segment}${known.length > 0 ? ` (fields: ${known.join(", ")})` : ""}`;
    }
    current = property.type;
    walked = `${walked}.${segment}`;
  }
  return isKeyType(resolve(current, types)) ? undefined : `${walked} must be a string, number, bigint or boolean to serve as a key`;
}

function isKeyType(type: TypeModel): boolean {
  if (type.kind === "literal") return true;
  if (type.kind === "union") return type.members.every((member) => member.kind === "undefined" || member.kind === "null" || isKeyType(member));
  return keyKinds.has(type.kind);
}

function resolve(type: TypeModel, types: ReadonlyMap<string, TypeModel>): TypeModel {
  return type.kind === "ref" ? (types.get(type.name) ?? type) : type;
}
