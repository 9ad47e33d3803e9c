/** Bad command-line input: one line, a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * An expected failure (broker unreachable, token refused, port in use): one line that says what to
 * do, no stack trace, exit code 1.
 */
export class CommandFailure extends Error {
  override name = "CommandFailure";
}
