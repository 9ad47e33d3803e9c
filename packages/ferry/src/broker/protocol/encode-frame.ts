import { encodeValue } from "../../core/wire/codec.js";
import { MalformedMessageError } from "../../core/errors.js";
import { FlatWriter } from "../../core/wire/flat-msgpack.js";
import { frameSchema, type FieldSpec } from "./frame-schema.js";
import type { Frame } from "./frame-types.js";

/** Bytes reserved for the length prefix. */
const PREFIX_BYTES = 4;

/** Per op code: which fields ride as msgpack inside bin (maps and `any`), or undefined if none does. */
const nestedFields: (boolean[] | undefined)[] = [];
// Read as plain `FieldSpec`s: what is checked here must not depend on the kinds today's schema happens to use.
for (const [op, specs] of Object.entries<readonly FieldSpec[]>(frameSchema)) {
  const nested = specs.map((spec) => spec.kind === "map" || spec.kind === "any");
  if (nested.includes(true)) nestedFields[Number(op)] = nested;
}

/**
 * Encodes a frame with its length prefix, ready to write. Fields are written flat, by hand (as
 * envelopes are); a map or `any` field rides as msgpack inside bin.
 */
export function encodeFrame(frame: Frame): Buffer {
  return writeFrame(frame).finish();
}

/**
 * Like `encodeFrame`, left in a shared scratch buffer: its `length`, and `copyTo` to move it
 * where it goes. Valid only until the next frame or envelope is encoded.
 */
export function encodeFrameInPlace(frame: Frame): Pick<FlatWriter, "length" | "copyTo"> {
  return writeFrame(frame);
}

function writeFrame(frame: Frame): FlatWriter {
  const nested = nestedFields[frame[0]];
  let values: readonly unknown[] = frame;
  if (nested !== undefined) {
    const encoded: unknown[] = frame.slice();
    for (let i = 1; i < encoded.length; i++) {
      if (nested[i - 1] && encoded[i] !== null && encoded[i] !== undefined) encoded[i] = encodeValue(encoded[i]);
    }
    values = encoded;
  }
  let size = 16;
  for (let i = 1; i < values.length; i++) {
    const value = values[i];
    size += typeof value === "string" ? FlatWriter.stringSize(value) : value instanceof Uint8Array ? FlatWriter.binSize(value) : 9;
  }
  const writer = new FlatWriter(size, PREFIX_BYTES);
  writer.arrayHeader(values.length);
  writer.uint(frame[0]);
  for (let i = 1; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) writer.nil();
    else if (typeof value === "string") writer.string(value);
    else if (typeof value === "number") writer.number(value);
    else if (typeof value === "boolean") writer.bool(value);
    else if (value instanceof Uint8Array) writer.bin(value);
    // Unreachable for a typed frame: every other field kind was encoded to bytes above.
    else throw new MalformedMessageError(`frame field ${i} cannot be encoded`);
  }
  return writer.writeLengthPrefix();
}
