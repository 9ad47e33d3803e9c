#!/usr/bin/env node
// `ferry`: one binary, one subcommand per concern. Each subcommand lives in its own module and is
// loaded only when asked for, so `ferry codegen` does not pay for a broker and vice versa.
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { usageLines } from "./usage.js";

/** A subcommand: gets its own arguments, resolves with the process exit code. */
export type Command = (args: readonly string[]) => Promise<number>;

const commands: Readonly<Record<string, { summary: string; load: () => Promise<Command> }>> = {
  codegen: {
    summary: usageLines.codegen,
    load: async () => (await import("./codegen-command.js")).codegenCommand,
  },
  broker: {
    summary: usageLines.broker,
    load: async () => (await import("./broker-command.js")).brokerCommand,
  },
  stats: {
    summary: usageLines.stats,
    load: async () => (await import("./stats-command.js")).statsCommand,
  },
};

export function usage(): string {
  return ["usage: ferry <command> [options]", "", "commands:", ...Object.values(commands).map((command) => `  ${command.summary}`)].join("\n");
}

/** Runs `ferry <argv>` and resolves with the exit code: 2 for usage errors. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) {
    process.stderr.write(`ferry: unknown command ${JSON.stringify(name)}\n\n${usage()}\n`);
    return 2;
  }
  return (await command.load())(rest);
}

// Run only as the entry point (npm's bin link is a symlink, hence realpath), not when imported by tests.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`ferry: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
