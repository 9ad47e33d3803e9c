import { existsSync, readdirSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";

/**
 * Expands file patterns with `*` (within one path segment), `?` and `**` (any number of
 * directories), relative to `cwd`. Node 20 has no `fs.glob`, and a full glob library is more than
 * codegen needs. `node_modules` and dot-directories are never searched. Returns sorted absolute
 * paths, and the patterns that matched nothing.
 */
export function expandGlobs(patterns: readonly string[], cwd: string): { files: string[]; unmatched: string[] } {
  const files = new Set<string>();
  const unmatched: string[] = [];
  for (const pattern of patterns) {
    const matched = new Set<string>();
    const absolute = (isAbsolute(pattern) ? pattern : resolve(cwd, pattern)).split("\\").join("/");
    const segments = absolute.split("/");
    const firstGlob = segments.findIndex(isGlob);
    if (firstGlob === -1) {
      if (existsSync(absolute) && statSync(absolute).isFile()) matched.add(resolve(absolute));
    } else {
      walk(segments.slice(0, firstGlob).join("/") || "/", segments.slice(firstGlob), matched);
    }
    if (matched.size === 0) unmatched.push(pattern);
    for (const file of matched) files.add(file);
  }
  return { files: [...files].sort(), unmatched };
}

function walk(dir: string, rest: readonly string[], found: Set<string>): void {
  const [segment, ...tail] = rest;
  if (segment === undefined) return;
  if (segment === "**") {
    walk(dir, tail, found); // `**` matches zero directories too
    for (const entry of entries(dir)) {
      if (entry.isDirectory() && !skipped(entry.name)) walk(join(dir, entry.name), rest, found);
    }
    return;
  }
  const matcher = isGlob(segment) ? toRegExp(segment) : undefined;
  for (const entry of entries(dir)) {
    if (matcher === undefined ? entry.name !== segment : !matcher.test(entry.name)) continue;
    const path = join(dir, entry.name);
    if (tail.length === 0) {
      if (entry.isFile()) found.add(path);
    } else if (entry.isDirectory() && !(matcher !== undefined && skipped(entry.name))) {
      walk(path, tail, found);
    }
  }
}

function entries(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch {
    return [];
  }
}

function isGlob(segment: string): boolean {
  return /[*?]/.test(segment);
}

function skipped(name: string): boolean {
  return name === "node_modules" || name.startsWith(".");
}

function toRegExp(segment: string): RegExp {
  const source = segment.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  // A leading `*` does not match dot-files, as in shells.
  return new RegExp(`^${segment.startsWith("*") ? "(?!\\.)" : ""}${source}$`);
}
