/**
 * Functions every validators file may need, written into the file itself (generated validators
 * depend on nothing at run time) and only when its checks call them.
 */
export const RuntimeHelper = { Fail: "fail", Undeclared: "undeclared", MatchesTemplate: "matchesTemplate" } as const;
export type RuntimeHelper = (typeof RuntimeHelper)[keyof typeof RuntimeHelper];

const sources: Readonly<Record<RuntimeHelper, string>> = {
  fail: [
    "function fail(issues: ValidationIssue[] | undefined, path: string, message: string): ValidationIssue[] {",
    "  const list = issues ?? [];",
    "  list.push({ path, message });",
    "  return list;",
    "}",
  ].join("\n"),
  undeclared: [
    "/**",
    " * A property its type does not declare. Removed, so a handler sees only what its type says and",
    " * an older server takes requests from a newer client; reported instead when checking is strict.",
    " */",
    "function undeclared(object: Record<string, unknown>, key: string, path: string, strict: boolean, issues: ValidationIssue[] | undefined): ValidationIssue[] | undefined {",
    "  if (strict) return fail(issues, /^[A-Za-z_$][\\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`, \"is not declared in the type\");",
    "  delete object[key];",
    "  return issues;",
    "}",
  ].join("\n"),
  matchesTemplate: [
    "/**",
    " * Whether a string matches a template literal type, decided as TypeScript decides it: the first",
    " * text starts it and the last ends it; each text between two placeholders is taken at its first",
    " * occurrence after the one before (an empty one leaves one character to the placeholder before",
    " * it); then each placeholder's part must suit its type. No backtracking, so no input is slow.",
    " */",
    "function matchesTemplate(value: string, template: { readonly texts: readonly string[]; readonly holes: readonly string[] }): boolean {",
    "  const { texts, holes } = template;",
    "  const head = texts[0] ?? \"\";",
    "  const tail = texts[holes.length] ?? \"\";",
    "  if (value.length < head.length + tail.length || !value.startsWith(head) || !value.endsWith(tail)) return false;",
    "  const body = value.slice(0, value.length - tail.length);",
    "  let from = head.length;",
    "  for (let i = 0; i < holes.length; i++) {",
    "    const text = i === holes.length - 1 ? \"\" : (texts[i + 1] ?? \"\");",
    "    let to = body.length;",
    "    if (i < holes.length - 1) {",
    "      to = text === \"\" ? (from < body.length ? from + 1 : -1) : body.indexOf(text, from);",
    "      if (to < 0) return false;",
    "    }",
    "    if (!matchesHole(body.slice(from, to), holes[i] ?? \"string\")) return false;",
    "    from = to + text.length;",
    "  }",
    "  return true;",
    "}",
    "",
    "/** Whether the part of a string a placeholder took suits it, by TypeScript's rules. */",
    "function matchesHole(part: string, hole: string): boolean {",
    "  switch (hole) {",
    "    case \"number\":",
    "      return part !== \"\" && Number.isFinite(+part);",
    "    case \"bigint\":",
    "      return /^-?(?:0|[1-9][0-9]*|0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+)$/.test(part);",
    "    case \"Uppercase\":",
    "      return part === part.toUpperCase();",
    "    case \"Lowercase\":",
    "      return part === part.toLowerCase();",
    "    case \"Capitalize\":",
    "      return part.charAt(0) === part.charAt(0).toUpperCase();",
    "    case \"Uncapitalize\":",
    "      return part.charAt(0) === part.charAt(0).toLowerCase();",
    "    default:",
    "      return true;",
    "  }",
    "}",
  ].join("\n"),
};

/** The helpers `used` calls, in a fixed order, each preceded by a blank line. */
export function runtimeHelpers(used: ReadonlySet<RuntimeHelper>): string[] {
  return Object.values(RuntimeHelper)
    .filter((name) => used.has(name))
    .map((name) => sources[name]);
}
