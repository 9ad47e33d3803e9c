import { header, ImportSet, type EmitContext } from "./format.js";
import { MethodKind, type ServiceModel, type TypeModel } from "./model.js";
import { validatorNames } from "./naming.js";
import { ValidatorCode } from "./validator-code.js";

/**
 * `<name>.validators.ts`: one dependency-free function per request and response, returning the
 * issues found with their paths (`req.items[2].qty: expected number`). The server runs the request
 * validator on every call, so a valid value allocates nothing: the shared empty list comes back.
 */
export function emitValidators(service: ServiceModel, context: EmitContext): string {
  const code = new ValidatorCode(service.types);
  const functions: string[] = [];
  for (const method of service.methods) {
    const names = validatorNames(method.name);
    functions.push(validator(code, names.request, method.request?.type ?? { kind: "undefined" }, "req", `a request of ${service.name}.${method.name}`));
    if (method.kind === MethodKind.Call) functions.push(validator(code, names.response, method.response.type, "res", `a response of ${service.name}.${method.name}`));
  }
  const helpers = [...code.helpers.values()];
  const shared = [
    "/** The result of every valid check: shared, so success allocates nothing. */",
    "const valid: readonly ValidationIssue[] = Object.freeze([]);",
  ];
  if (code.usesFail) {
    shared.push(
      "",
      "function fail(issues: ValidationIssue[] | undefined, path: string, message: string): ValidationIssue[] {",
      "  const list = issues ?? [];",
      "  list.push({ path, message });",
      "  return list;",
      "}",
    );
  }
  return [
    header(context, service.file),
    new ImportSet().add(context.runtimeImport, "ValidationIssue", true).render(),
    "\n",
    shared.join("\n"),
    "\n",
    [...functions, ...helpers].map((text) => `\n${text}\n`).join(""),
  ].join("");
}

function validator(code: ValidatorCode, name: string, type: TypeModel, root: string, what: string): string {
  code.resetVariables();
  const body = code.check(type, "value", [{ text: root }], "collect", "  ");
  const doc = `/** Checks ${what}. */`;
  if (body.length === 0) return [doc, `export function ${name}(): readonly ValidationIssue[] {`, "  return valid;", "}"].join("\n");
  return [
    doc,
    `export function ${name}(value: unknown): readonly ValidationIssue[] {`,
    "  let issues: ValidationIssue[] | undefined;",
    ...body,
    "  return issues ?? valid;",
    "}",
  ].join("\n");
}
