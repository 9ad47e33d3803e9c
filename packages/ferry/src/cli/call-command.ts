import type { CallOptions } from "../core/client.js";
import { FerryError } from "../core/errors.js";
import { CommandFailure, UsageError } from "./cli-errors.js";
import type { CommandRun } from "./commands.js";
import { connectFromFlags, positiveInteger } from "./cli-runtime.js";

/** What `ferry call` takes as its target: a dotted service name, a dot, a method name. */
const targetPattern = /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\.([A-Za-z_][A-Za-z0-9_]*)$/;

/**
 * `ferry call Service.method '<json>'`: one untyped call (`ferry.call(service, method, request)`),
 * for debugging. The request is JSON; the response is printed as JSON (big integers as strings,
 * bytes as base64). A failure prints its code and message and exits 1.
 */
export const callCommand: CommandRun = async ({ strings, lists, positionals }) => {
  const [service, method] = parseTarget(positionals[0]!);
  const request = positionals[1] === undefined ? undefined : parseRequest(positionals[1]);
  const options = callOptions(strings, lists.get("header") ?? []);
  const ferry = await connectFromFlags(strings);
  try {
    let response: unknown;
    try {
      response = await ferry.call(service, method, request, options);
    } catch (error) {
      if (!(error instanceof FerryError)) throw error;
      const data = error.data === undefined ? "" : ` (data: ${toJson(error.data, 0)})`;
      throw new CommandFailure(`${error.code}: ${error.message}${data}`);
    }
    process.stdout.write(`${toJson(response ?? null, 2)}\n`);
  } finally {
    await ferry.close();
  }
  return 0;
};

function parseTarget(target: string): [string, string] {
  const match = targetPattern.exec(target);
  if (match === null) throw new UsageError(`${JSON.stringify(target)} is not Service.method: a service name (dotted words, e.g. shop.Orders), a dot, then a method name`);
  return [match[1]!, match[2]!];
}

function parseRequest(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`the request is not valid JSON (${(error as Error).message}); quote it for the shell: '{"sku":"kettle"}'`);
  }
}

function callOptions(strings: ReadonlyMap<string, string>, headerFlags: readonly string[]): CallOptions {
  const options: CallOptions = {};
  const timeout = strings.get("timeout-ms");
  if (timeout !== undefined) options.timeoutMs = positiveInteger("--timeout-ms", timeout);
  const key = strings.get("key");
  if (key !== undefined) options.key = key;
  if (headerFlags.length > 0) {
    const headers: Record<string, string> = {};
    for (const flag of headerFlags) {
      const equals = flag.indexOf("=");
      if (equals <= 0) throw new UsageError(`--header must be name=value, got ${JSON.stringify(flag)}`);
      headers[flag.slice(0, equals)] = flag.slice(equals + 1);
    }
    options.headers = headers;
  }
  return options;
}

/** JSON of a decoded msgpack value: a bigint as a string (JSON numbers lose its digits), bytes as base64. */
function toJson(value: unknown, indent: number): string {
  return JSON.stringify(
    value,
    function (this: Record<string, unknown>, key: string, item: unknown) {
      // The holder's own value: a Buffer's toJSON has already run on `item`.
      const raw = this[key];
      if (typeof raw === "bigint") return raw.toString();
      if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64");
      return item;
    },
    indent,
  );
}
