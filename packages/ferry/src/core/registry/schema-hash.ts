import { createHash } from "node:crypto";
import type { ServiceDefinition } from "../definition.js";

/**
 * The hash `ferry services` shows for a service definition, so two instances built from different
 * versions of an interface can be told apart. A generated definition carries codegen's
 * `schemaHash` (which also covers the request and response types): that one is used. A
 * definition written by hand has none: the hash is then sha256 of its name and, per method
 * (sorted by name), its kind and tags (`idempotent`, `timeoutMs`, `retries`, `keyPath`,
 * `durable`), as canonical JSON; it is the same in every process that builds the same definition.
 */
export function definitionHash(definition: ServiceDefinition): string {
  if (typeof definition.schemaHash === "string" && definition.schemaHash !== "") return definition.schemaHash;
  const methods = Object.values(definition.methods)
    .map((method) => [method.name, method.kind, method.idempotent ?? null, method.timeoutMs ?? null, method.retries ?? null, method.keyPath ?? null, method.durable ?? null])
    .sort(([a], [b]) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
  return `sha256:${createHash("sha256").update(JSON.stringify([definition.name, methods])).digest("hex")}`;
}
