import { decodeValue } from "../../core/wire/codec.js";
import { FlatReader, type StringCache } from "../../core/wire/flat-msgpack.js";
import { frameSchema, type FieldKind, type FieldSpec } from "./frame-schema.js";
import type { Frame } from "./frame-types.js";
import { MalformedFrameError } from "./malformed-frame-error.js";
import { opName } from "./op.js";

/** Nesting a map field may have (stats are the deepest: topics, groups, partitions). */
const NESTED_MAX_DEPTH = 12;

/** What decoding needs per op, worked out once from its schema. */
interface OpShape {
  name: string;
  kinds: FieldKind[];
  /** Whether nil is allowed, per field. */
  nil: boolean[];
  /** Field names as errors give them (`topic`) and as the reader does (`Publish.topic`). */
  fields: string[];
  readerFields: string[];
  /** Topic and queue names repeat frame after frame: each string field decodes a repeat once. */
  stringCaches: (StringCache | undefined)[];
  /** Fields an older peer may send (the rest were added later) and fields there are. */
  minFields: number;
  maxFields: number;
}

/** Indexed by op code: an array lookup, on every frame. */
const shapes: (OpShape | undefined)[] = [];
// Read as plain `FieldSpec`s: what is checked here must not depend on the kinds today's schema happens to use.
for (const [op, specs] of Object.entries<readonly FieldSpec[]>(frameSchema)) {
  const name = opName(Number(op));
  shapes[Number(op)] = {
    name,
    kinds: specs.map((spec) => spec.kind),
    nil: specs.map((spec) => spec.nil || spec.kind === "any"),
    fields: specs.map((spec) => spec.name),
    readerFields: specs.map((spec) => `${name}.${spec.name}`),
    stringCaches: specs.map((spec) => (spec.kind === "string" ? FlatReader.stringCache() : undefined)),
    minFields: specs.filter((spec) => !spec.added).length,
    maxFields: specs.length,
  };
}

const expected: Record<FieldKind, string> = { string: "a string", number: "a number", bytes: "bytes", boolean: "a boolean", map: "a map", any: "anything" };

/**
 * Decodes one frame and checks every field against its op's schema: the only place a frame is
 * checked, so everything past it reads typed fields. Throws `MalformedFrameError` naming the op
 * and field at fault. Fields an older peer leaves out are absent from the array (not nil).
 */
export function decodeFrame(bytes: Uint8Array, maxFrameBytes: number): Frame {
  const reader = new FlatReader(bytes, "frame");
  let shape: OpShape | undefined;
  // The field being read, for errors the reader raises.
  let at = -1;
  try {
    const count = reader.arrayHeader();
    const op = reader.uintOrNil("op");
    shape = op === undefined ? undefined : shapes[op];
    if (shape === undefined) throw new MalformedFrameError(`frame op ${String(op)} is unknown`, op === undefined ? undefined : String(op), undefined);
    const { kinds, nil, readerFields, stringCaches, minFields, maxFields } = shape;
    const fields = count - 1;
    if (fields < minFields || fields > maxFields) {
      const needs = minFields === maxFields ? `${maxFields} field${maxFields === 1 ? "" : "s"}` : `${minFields} to ${maxFields} fields`;
      const missing = fields < minFields ? shape.fields[Math.max(fields, 0)] : undefined;
      throw new MalformedFrameError(`frame ${shape.name} needs ${needs}, got ${fields}${missing === undefined ? "" : `: ${missing} is missing`}`, shape.name, missing);
    }
    // Sized once, to the fields sent.
    const frame = new Array<unknown>(count);
    frame[0] = op;
    for (at = 0; at < fields; at++) {
      const field = readerFields[at]!;
      if (reader.nilNext()) {
        if (!nil[at]) throw new MalformedFrameError(`frame field ${field}: expected ${expected[kinds[at]!]}, got nil`, shape.name, shape.fields[at]);
        frame[at + 1] = null;
        continue;
      }
      switch (kinds[at]) {
        case "string": frame[at + 1] = reader.string(field, stringCaches[at]); break;
        case "number": frame[at + 1] = reader.number(field); break;
        case "bytes": frame[at + 1] = reader.bin(field); break;
        case "boolean": frame[at + 1] = reader.bool(field); break;
        case "map": {
          const value = decodeValue(reader.bin(field)!, { maxBytes: maxFrameBytes, maxDepth: NESTED_MAX_DEPTH });
          if (typeof value !== "object" || value === null || Array.isArray(value)) throw new MalformedFrameError(`frame field ${field}: expected a map`, shape.name, shape.fields[at]);
          frame[at + 1] = value;
          break;
        }
        default: frame[at + 1] = decodeValue(reader.bin(field)!, { maxBytes: maxFrameBytes, maxDepth: NESTED_MAX_DEPTH });
      }
    }
    at = -1;
    reader.end();
    // Every field was checked above against the op's schema, and the schema is held to the
    // frame types by the compiler (frame-schema.ts): this is where the array becomes a Frame.
    return frame as Frame;
  } catch (error) {
    if (error instanceof MalformedFrameError) throw error;
    // The reader's own errors (a string that is not one, a truncated frame) already name the field.
    throw new MalformedFrameError(error instanceof Error ? error.message : String(error), shape?.name, at < 0 ? undefined : shape?.fields[at], { cause: error });
  }
}
