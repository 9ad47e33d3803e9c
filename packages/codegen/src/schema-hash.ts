import { createHash } from "node:crypto";
import type { ServiceModel } from "./model.js";

/**
 * sha256 of the service's wire contract as canonical JSON (keys sorted): name, methods with kind,
 * options and request/response types, and named types. Documentation, file locations and how
 * types are spelled are left out, so moving a file or editing a comment keeps the hash.
 */
export function schemaHash(service: ServiceModel): string {
  const contract = {
    name: service.name,
    methods: service.methods.map((method) => ({
      name: method.name,
      kind: method.kind,
      options: method.options,
      request: method.request?.type ?? null,
      response: method.response.type,
    })),
    types: service.types,
  };
  return `sha256:${createHash("sha256").update(canonicalJson(contract)).digest("hex")}`;
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
