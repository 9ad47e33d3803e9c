#!/usr/bin/env node
// `ferry`: one binary, one subcommand per concern. Each subcommand's code is loaded only when asked
// for, so `ferry codegen` does not pay for a broker and vice versa.
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { CommandFailure, UsageError } from "./cli-errors.js";
import { closestName } from "./closest-name.js";
import { helpText, parseCommandArgs, usageLine } from "./command-spec.js";
import { commands } from "./commands.js";
import { failureMessage } from "./failure-message.js";
import { packageVersion } from "./package-version.js";

/** A subcommand's exit codes. */
export const ExitCode = { Ok: 0, Failed: 1, Usage: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return [
    "usage: ferry <command> [options]",
    "",
    "commands:",
    ...Object.entries(commands).map(([name, { spec }]) => `  ${name.padEnd(width)}  ${spec.summary}`),
    "",
    "ferry <command> --help    every option of a command, with its default",
    "ferry --version           the installed version",
  ].join("\n");
}

/** Runs `ferry <argv>` and resolves with the exit code: 1 for expected failures, 2 for usage errors. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-v") {
    process.stdout.write(`${packageVersion()}\n`);
    return ExitCode.Ok;
  }
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? process.stderr : process.stdout).write(`${usage()}\n`);
    return name === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (entry === undefined) {
    const suggestion = closestName(name, Object.keys(commands));
    process.stderr.write(`ferry: unknown command ${JSON.stringify(name)}${suggestion === undefined ? "" : `; did you mean ${suggestion}?`}\n\n${usage()}\n`);
    return ExitCode.Usage;
  }
  try {
    const args = parseCommandArgs(entry.spec, rest);
    if (args.help) {
      process.stdout.write(helpText(entry.spec));
      return ExitCode.Ok;
    }
    return await (await entry.load())(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`ferry ${name}: ${error.message}\nusage: ${usageLine(entry.spec)} (see ferry ${name} --help)\n`);
      return ExitCode.Usage;
    }
    const message = error instanceof CommandFailure ? error.message : failureMessage(error);
    if (message === undefined) throw error;
    process.stderr.write(`ferry ${name}: ${message}\n`);
    return ExitCode.Failed;
  }
}

// Run only as the entry point (npm's bin link is a symlink, hence realpath), not when imported by tests.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`ferry: unexpected error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = ExitCode.Failed;
    },
  );
}
