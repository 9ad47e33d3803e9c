import { Packr } from "msgpackr";
import { defaultMaxMessageBytes } from "../defaults.js";
import { MalformedMessageError, PayloadTooLargeError } from "../errors.js";
import { scanMsgpack } from "./msgpack-scan.js";

/** Bounds applied to every message Ferry decodes. */
export interface DecodeLimits {
  /** Largest encoded message accepted, in bytes. Default 1 MiB (`defaultMaxMessageBytes`). */
  maxBytes: number;
  /** Deepest nesting of arrays and maps accepted. Default 64 (`defaultMaxDepth`). */
  maxDepth: number;
}

/**
 * Deepest nesting of arrays and maps a decoded message may have. msgpackr, the generated
 * validators and most handlers walk a value recursively, a stack frame per level: the bound keeps
 * a hostile message from overflowing the stack. A legitimate value deeper than this is refused.
 */
export const defaultMaxDepth = 64;

export const defaultDecodeLimits: DecodeLimits = { maxBytes: defaultMaxMessageBytes, maxDepth: defaultMaxDepth };

/**
 * msgpackr configured for untrusted peers: no records or structured-clone extensions, 64-bit
 * integers as `bigint` so none are rounded, bigints beyond 64 bits as msgpackr's extension.
 */
const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  structuredClone: false,
  int64AsType: "bigint",
  useBigIntExtension: true,
  variableMapSize: true,
  mapsAsObjects: true,
});

/** Encodes one value as msgpack. Throws `MalformedMessageError` for values msgpack cannot carry. */
export function encodeValue(value: unknown): Uint8Array {
  try {
    return packr.pack(value);
  } catch (error) {
    throw new MalformedMessageError(`value cannot be encoded: ${(error as Error).message}`, { cause: error });
  }
}

/** Decodes one msgpack value from untrusted bytes, within `limits`; never throws anything but a FerryError. */
export function decodeValue(bytes: Uint8Array, limits: DecodeLimits = defaultDecodeLimits): unknown {
  scan(bytes, limits);
  return unpack(bytes);
}

/** A decoded value, and how many map entries its bytes held (see `Validator`). */
export interface CountedValue {
  value: unknown;
  mapEntries: number;
}

/** `decodeValue`, also returning the number of map entries, which the scan counts on its way. */
export function decodeCounted(bytes: Uint8Array, limits: DecodeLimits = defaultDecodeLimits): CountedValue {
  const mapEntries = scan(bytes, limits);
  return { value: unpack(bytes), mapEntries };
}

function scan(bytes: Uint8Array, limits: DecodeLimits): number {
  if (bytes.length > limits.maxBytes) throw PayloadTooLargeError.of(bytes.length, limits.maxBytes);
  return scanMsgpack(bytes, limits.maxDepth);
}

function unpack(bytes: Uint8Array): unknown {
  try {
    return packr.unpack(bytes);
  } catch (error) {
    throw new MalformedMessageError(`msgpack could not be decoded: ${(error as Error).message}`, { cause: error });
  }
}
