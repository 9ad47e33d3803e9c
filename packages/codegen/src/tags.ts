import { MethodKind, type MethodOptionsModel } from "./model.js";
import type { ParsedTag } from "./jsdoc.js";

/** Tags that turn into method options. */
export const OptionTag = {
  Idempotent: "idempotent",
  Timeout: "timeout",
  Retries: "retries",
  Key: "key",
  Event: "event",
  Durable: "durable",
} as const;
export type OptionTag = (typeof OptionTag)[keyof typeof OptionTag];

/** Documentation-only tags: carried into the generated JSDoc, no effect on the runtime. */
const documentationTags: ReadonlySet<string> = new Set(["param", "returns", "return", "deprecated", "example", "see", "remarks", "throws", "since", "link"]);
const optionTags: ReadonlySet<string> = new Set(Object.values(OptionTag));

export interface TagProblem {
  readonly offset: number;
  readonly message: string;
}

export interface MethodTags {
  readonly kind: MethodKind;
  readonly options: MethodOptionsModel;
  /** Offset of the `@key` tag, to point at it when the key path turns out to be wrong. */
  readonly keyOffset?: number;
  readonly problems: readonly TagProblem[];
}

const durationPattern = /^(\d+(?:\.\d+)?)(ms|s|m)$/;
const unitMs: Record<string, number> = { ms: 1, s: 1_000, m: 60_000 };
const keyPathPattern = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

/**
 * What each tag would mean on a stream, for those that have no meaning there: a stream is never
 * retried (its caller has items already), deduplicated (there is no single reply to replay) or
 * stored (its caller waits for items now), and it is not an event.
 */
const refusedOnStreams: Partial<Record<OptionTag, string>> = {
  [OptionTag.Retries]: "a stream is never retried: its caller may hold items already, and a second run would send them again",
  [OptionTag.Idempotent]: "a stream has no single reply to store and replay",
  [OptionTag.Durable]: "a stream's caller waits for its items now, so its request is never stored for a server to come",
  [OptionTag.Event]: "an event gets no reply, and a stream replies with items",
};

/**
 * Turns a method's tags into its kind and options; every malformed or unknown tag is a problem.
 * `stream`: the method returns an `AsyncIterable`, so its kind is `stream` and the tags that mean
 * nothing there are refused; `@timeout` is the longest wait for each item, `@key` routes the request.
 */
export function readMethodTags(tags: readonly ParsedTag[], stream = false): MethodTags {
  const options: MethodOptionsModel = {};
  const problems: TagProblem[] = [];
  const seen = new Set<string>();
  let kind: MethodKind = MethodKind.Call;
  let keyOffset: number | undefined;
  for (const tag of tags) {
    const problem = (message: string): void => void problems.push({ offset: tag.offset, message });
    if (documentationTags.has(tag.name)) continue;
    if (!optionTags.has(tag.name)) {
      problem(`unknown tag @${tag.name} (known: ${[...optionTags].map((name) => `@${name}`).join(", ")})`);
      continue;
    }
    if (seen.has(tag.name)) {
      problem(`@${tag.name} is given more than once`);
      continue;
    }
    seen.add(tag.name);
    const flag = tag.name === OptionTag.Idempotent || tag.name === OptionTag.Event || tag.name === OptionTag.Durable;
    if (flag && tag.text !== "") {
      problem(`@${tag.name} takes no value, got ${JSON.stringify(tag.text)}`);
      continue;
    }
    switch (tag.name) {
      case OptionTag.Idempotent:
        options.idempotent = true;
        break;
      case OptionTag.Durable:
        options.durable = true;
        break;
      case OptionTag.Event:
        kind = MethodKind.Event;
        break;
      case OptionTag.Timeout: {
        const match = durationPattern.exec(tag.text);
        const timeoutMs = match === null ? Number.NaN : Number(match[1]) * unitMs[match[2]!]!;
        if (!(timeoutMs > 0) || !Number.isInteger(timeoutMs)) problem(`@timeout needs a positive duration such as 500ms, 2s or 1m, got ${JSON.stringify(tag.text)}`);
        else options.timeoutMs = timeoutMs;
        break;
      }
      case OptionTag.Retries:
        if (!/^\d+$/.test(tag.text)) problem(`@retries needs a whole number, got ${JSON.stringify(tag.text)}`);
        else options.retries = Number(tag.text);
        break;
      case OptionTag.Key:
        if (!keyPathPattern.test(tag.text)) problem(`@key needs a field path such as orderId or customer.id, got ${JSON.stringify(tag.text)}`);
        else {
          options.keyPath = tag.text;
          keyOffset = tag.offset;
        }
        break;
    }
  }
  if (stream) {
    for (const tag of tags) {
      const why = refusedOnStreams[tag.name as OptionTag];
      if (why !== undefined && seen.has(tag.name)) problems.push({ offset: tag.offset, message: `@${tag.name} does not apply to a stream (a method returning AsyncIterable): ${why}` });
    }
    return { kind: MethodKind.Stream, options: { ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }), ...(options.keyPath === undefined ? {} : { keyPath: options.keyPath }) }, ...(keyOffset === undefined ? {} : { keyOffset }), problems };
  }
  if (kind === MethodKind.Event) {
    // The runtime's `event()` has no timeout, retries or reply: a tag saying otherwise would be ignored.
    for (const name of [OptionTag.Timeout, OptionTag.Retries] as const) {
      const tag = tags.find((candidate) => candidate.name === name);
      if (tag !== undefined && seen.has(name)) problems.push({ offset: tag.offset, message: `@${name} does not apply to an @event (events get no reply)` });
    }
    delete options.timeoutMs;
    delete options.retries;
  }
  return { kind, options, ...(keyOffset === undefined ? {} : { keyOffset }), problems };
}
