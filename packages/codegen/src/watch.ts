import { watch, type FSWatcher } from "node:fs";
import { dirname, resolve } from "node:path";
import { CodegenSession, type GenerateOptions, type GenerateResult } from "./session.js";

export interface WatchOptions extends GenerateOptions {
  /** Quiet period after a change before regenerating, ms: editors save in bursts. Default 50. */
  debounceMs?: number;
}

/** A running watch; `close()` stops it. */
export interface CodegenWatch {
  close(): void;
}

/**
 * Runs codegen now and again whenever an input or a file it imports changes, reusing one
 * `CodegenSession` (and so one ts-morph project): only changed files are re-read. `onRun` gets
 * every result, with the files that triggered it (none for the first run) and how long the
 * refresh and generation took.
 */
export function watchCodegen(options: WatchOptions, onRun: (result: GenerateResult, changed: readonly string[], durationMs: number) => void): CodegenWatch {
  const session = new CodegenSession(options);
  const cwd = options.cwd ?? process.cwd();
  const watchers = new Map<string, FSWatcher>();
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const run = (): void => {
    const paths = [...changed].sort();
    changed.clear();
    const started = performance.now();
    session.refresh(paths);
    const result = session.run();
    const durationMs = performance.now() - started;
    observe([...session.sourcePaths(), ...result.inputs, ...options.files.map((pattern) => resolve(cwd, pattern))]);
    onRun(result, paths, durationMs);
  };
  const onChange = (dir: string, name: string | null): void => {
    if (closed || name === null || !name.endsWith(".ts")) return;
    const path = resolve(dir, name);
    // Our own output changing is no reason to regenerate.
    if (dirname(path) === session.outDir) return;
    changed.add(path);
    clearTimeout(timer);
    timer = setTimeout(run, options.debounceMs ?? 50);
  };
  // Watching directories (not files) also sees files created later and editors' rename-on-save.
  const observe = (paths: readonly string[]): void => {
    for (const path of paths) {
      const dir = /[*?]/.test(path) ? staticPrefix(path) : dirname(path);
      if (watchers.has(dir)) continue;
      try {
        watchers.set(dir, watch(dir, { recursive: path.includes("**") }, (_event, name) => onChange(dir, name)));
      } catch {
        // A directory that does not exist (yet) cannot be watched; its files are not inputs either.
      }
    }
  };

  run();
  return {
    close(): void {
      closed = true;
      clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}

function staticPrefix(pattern: string): string {
  const segments = pattern.split("/");
  const firstGlob = segments.findIndex((segment) => /[*?]/.test(segment));
  return segments.slice(0, firstGlob).join("/") || "/";
}
