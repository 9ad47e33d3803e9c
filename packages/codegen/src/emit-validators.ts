import { header, ImportSet, type EmitContext } from "./format.js";
import { MethodKind, type ServiceModel, type TypeModel } from "./model.js";
import { validatorNames } from "./naming.js";
import { ValidatorCode } from "./validator-code.js";
import { runtimeHelpers } from "./validator-runtime.js";

/**
 * `<name>.validators.ts`: one dependency-free function per request and response, returning the
 * issues found with their paths (`req.items[2].qty: expected number`). The server runs the request
 * validator on every call, so a valid value allocates nothing: the shared empty list comes back.
 * Properties a type does not declare are removed from the value, or reported when `strict`.
 */
export function emitValidators(service: ServiceModel, context: EmitContext): string {
  const code = new ValidatorCode(service.types);
  const functions: string[] = [];
  for (const method of service.methods) {
    const names = validatorNames(method.name);
    functions.push(validator(code, names.request, method.request?.type ?? { kind: "undefined" }, "req", `a request of ${service.name}.${method.name}`));
    if (method.kind === MethodKind.Call) functions.push(validator(code, names.response, method.response.type, "res", `a response of ${service.name}.${method.name}`));
    if (method.kind === MethodKind.Stream) functions.push(validator(code, names.response, method.response.type, "res", `an item of ${service.name}.${method.name}`));
  }
  const shared = [
    "/** The result of every valid check: shared, so success allocates nothing. */",
    "const valid: readonly ValidationIssue[] = Object.freeze([]);",
    ...runtimeHelpers(code.module.uses).map((helper) => `\n${helper}`),
  ];
  return [
    header(context, service.file),
    new ImportSet().add(context.runtimeImport, "ValidationIssue", true).render(),
    "\n",
    shared.join("\n"),
    "\n",
    [...functions, ...code.module.helpers.values()].map((text) => `\n${text}\n`).join(""),
  ].join("");
}

function validator(code: ValidatorCode, name: string, type: TypeModel, root: string, what: string): string {
  const strips = code.strips(type);
  const write = (counting: boolean): string[] => {
    code.begin(counting);
    return code.check(type, "value", [{ text: root }], "collect", "  ");
  };
  let body = write(strips);
  if (strips && !code.counted) body = write(false);
  if (body.length === 0) return [`/** Checks ${what}. */`, `export function ${name}(): readonly ValidationIssue[] {`, "  return valid;", "}"].join("\n");
  if (!strips) {
    return [`/** Checks ${what}. */`, `export function ${name}(value: unknown): readonly ValidationIssue[] {`, "  let issues: ValidationIssue[] | undefined;", ...body, "  return issues ?? valid;", "}"].join("\n");
  }
  const doc = ["/**", ` * Checks ${what}.`, " * Removes the properties its types do not declare; with `strict`, reports them instead."];
  if (!code.counted) {
    return [...doc, " */", `export function ${name}(value: unknown, strict = false): readonly ValidationIssue[] {`, "  let issues: ValidationIssue[] | undefined;", ...body, "  return issues ?? valid;", "}"].join("\n");
  }
  return [
    ...doc,
    " * Given `mapEntries` (the decoder's count of map entries), a valid value whose entries are all",
    " * declared properties is accepted without a visit of every key.",
    " */",
    `export function ${name}(value: unknown, strict = false, mapEntries = -1): readonly ValidationIssue[] {`,
    "  let issues: ValidationIssue[] | undefined;",
    "  const thorough = mapEntries < 0;",
    "  let declared = 0;",
    ...body,
    "  // Not valid, or some entry is no declared property: check again, visiting every key.",
    `  if (!thorough && (issues !== undefined || declared !== mapEntries)) return ${name}(value, strict);`,
    "  return issues ?? valid;",
    "}",
  ].join("\n");
}
