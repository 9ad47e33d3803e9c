import { parseArgs } from "node:util";
import { closestName } from "./closest-name.js";
import { UsageError } from "./cli-errors.js";

/** One flag of a command: what it takes, what it does, and its default as the user would type it. */
export interface FlagSpec {
  type: "string" | "boolean";
  description: string;
  /** The value's placeholder in help (`<dir>`). String flags only. */
  valueName?: string;
  /** The default, as help shows it (the command applies it; this is documentation). */
  defaultText?: string;
  /** A single-letter alias (`-o`). */
  short?: string;
  /** A string flag that may be given more than once (`--header a=1 --header b=2`): every value is in `lists`. */
  multiple?: true;
}

/** What a subcommand accepts: enough to parse its arguments and to print its help. */
export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional arguments as help shows them (`<files|globs...>`); none when absent. */
  positionals?: { usage: string; min: number; max: number; description: string };
  flags: Readonly<Record<string, FlagSpec>>;
  /** Lines printed after the flags: environment variables, examples. */
  notes?: readonly string[];
}

export interface ParsedCommandArgs {
  /** Each string flag's value (the last one, for a flag given more than once). */
  strings: ReadonlyMap<string, string>;
  /** Every value of each `multiple` flag, in order. */
  lists: ReadonlyMap<string, readonly string[]>;
  booleans: ReadonlySet<string>;
  positionals: readonly string[];
  help: boolean;
  /** The arguments as given, after the command's name. */
  argv: readonly string[];
}

const helpFlag: FlagSpec = { type: "boolean", short: "h", description: "print this help and exit" };

/**
 * Parses a subcommand's arguments with Node's `util.parseArgs`. Its tokens are checked here rather
 * than in strict mode so that an unknown flag can name the closest valid one.
 */
export function parseCommandArgs(spec: CommandSpec, argv: readonly string[]): ParsedCommandArgs {
  const flags: Readonly<Record<string, FlagSpec>> = { ...spec.flags, help: helpFlag };
  const options = Object.fromEntries(Object.entries(flags).map(([name, flag]) => [name, { type: flag.type, ...(flag.short === undefined ? {} : { short: flag.short }) }]));
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const strings = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const booleans = new Set<string>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") {
      positionals.push(token.value);
      continue;
    }
    if (token.kind === "option-terminator") continue;
    const flag = Object.hasOwn(flags, token.name) ? flags[token.name] : undefined;
    if (flag === undefined) {
      const suggestion = closestName(token.name, Object.keys(flags));
      throw new UsageError(`unknown option ${token.rawName}${suggestion === undefined ? "" : `; did you mean --${suggestion}?`}`);
    }
    if (flag.type === "boolean") {
      if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value, got ${JSON.stringify(token.value)}`);
      booleans.add(token.name);
    } else {
      if (token.value === undefined || token.value === "") throw new UsageError(`${token.rawName} needs a value${flag.valueName === undefined ? "" : ` (${flag.valueName})`}`);
      strings.set(token.name, token.value);
      if (flag.multiple === true) lists.set(token.name, [...(lists.get(token.name) ?? []), token.value]);
    }
  }
  const help = booleans.has("help");
  if (!help && spec.positionals === undefined && positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  if (!help && spec.positionals !== undefined) {
    if (positionals.length < spec.positionals.min) throw new UsageError(`missing ${spec.positionals.usage}`);
    if (positionals.length > spec.positionals.max) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[spec.positionals.max])}`);
  }
  return { strings, lists, booleans, positionals, help, argv };
}

/** The one-line usage of a command: `ferry broker [options]`. */
export function usageLine(spec: CommandSpec): string {
  const positional = spec.positionals === undefined ? "" : ` ${spec.positionals.min === 0 ? `[${spec.positionals.usage}]` : spec.positionals.usage}`;
  return `ferry ${spec.name}${positional} [options]`;
}

/** `ferry <command> --help`: usage, summary, every flag with its default, then the notes. */
export function helpText(spec: CommandSpec): string {
  const flags = { ...spec.flags, help: helpFlag };
  const rows = Object.entries(flags).map(([name, flag]) => {
    const left = `${flag.short === undefined ? "    " : `-${flag.short}, `}--${name}${flag.type === "string" ? ` ${flag.valueName ?? "<value>"}` : ""}`;
    const right = `${flag.description}${flag.multiple === true ? " (repeatable)" : ""}${flag.defaultText === undefined ? "" : ` (default: ${flag.defaultText})`}`;
    return [left, right] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length));
  const lines = [`usage: ${usageLine(spec)}`, "", spec.summary, ""];
  if (spec.positionals !== undefined) lines.push("arguments:", `  ${spec.positionals.usage.padEnd(width)}  ${spec.positionals.description}`, "");
  lines.push("options:", ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`));
  if (spec.notes !== undefined && spec.notes.length > 0) lines.push("", ...spec.notes);
  return `${lines.join("\n")}\n`;
}
