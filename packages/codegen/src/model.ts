/**
 * The plain JSON model codegen works on: what the parser extracts from TypeScript interfaces and
 * what every emitter reads. It holds no ts-morph objects, so it can be hashed, snapshotted and
 * compared.
 */

/** The shape of a value that crosses the wire, restricted to what the msgpack codec round-trips. */
export type TypeModel =
  | { readonly kind: "string" }
  | { readonly kind: "number" }
  | { readonly kind: "boolean" }
  | { readonly kind: "bigint" }
  | { readonly kind: "null" }
  | { readonly kind: "undefined" }
  /** A `void` response: the caller ignores it, so it is never checked. */
  | { readonly kind: "void" }
  /** `unknown` (and a `void` response): anything msgpack carries, unchecked. */
  | { readonly kind: "unknown" }
  | { readonly kind: "literal"; readonly value: string | number | boolean }
  /** A template literal type such as `user-${string}`: `texts` has one entry more than `holes`. */
  | { readonly kind: "template"; readonly texts: readonly string[]; readonly holes: readonly TemplateHole[] }
  | { readonly kind: "date" }
  | { readonly kind: "bytes" }
  | { readonly kind: "array"; readonly element: TypeModel }
  | { readonly kind: "tuple"; readonly elements: readonly TupleElementModel[]; readonly rest?: TypeModel }
  | { readonly kind: "record"; readonly value: TypeModel }
  | { readonly kind: "object"; readonly properties: readonly PropertyModel[] }
  | { readonly kind: "union"; readonly members: readonly TypeModel[] }
  /** A named recursive type, defined once in `ServiceModel.types`. */
  | { readonly kind: "ref"; readonly name: string };

export type TypeKind = TypeModel["kind"];

/**
 * What a placeholder of a template literal type holds: `${string}`, `${number}`, `${bigint}`, or
 * a string under one of TypeScript's intrinsic mappings (`${Uppercase<string>}`).
 */
export type TemplateHole = "string" | "number" | "bigint" | "Uppercase" | "Lowercase" | "Capitalize" | "Uncapitalize";

export interface TupleElementModel {
  readonly type: TypeModel;
  readonly optional: boolean;
}

export interface PropertyModel {
  readonly name: string;
  readonly type: TypeModel;
  readonly optional: boolean;
}

/** A JSDoc comment: its description and its tags in source order. */
export interface DocModel {
  readonly description: string;
  readonly tags: readonly DocTagModel[];
}

export interface DocTagModel {
  readonly name: string;
  readonly text: string;
}

/** Options a method's tags declare; mirrors the runtime's `MethodOptions`. */
export interface MethodOptionsModel {
  idempotent?: boolean;
  timeoutMs?: number;
  retries?: number;
  keyPath?: string;
  durable?: boolean;
}

/** `call`: one reply; `event`: none (`@event`); `stream`: many (the method returns `AsyncIterable<T>`). */
export const MethodKind = { Call: "call", Event: "event", Stream: "stream" } as const;
export type MethodKind = (typeof MethodKind)[keyof typeof MethodKind];

/**
 * How generated code names a request or response type: a TypeScript type expression plus the
 * named imports it needs, keyed by the absolute path of the declaring source file.
 */
export interface TypeRefModel {
  readonly text: string;
  readonly imports: readonly TypeImportModel[];
  /** The text refers to the service interface itself (the indexed-access fallback). */
  readonly viaService: boolean;
}

export interface TypeImportModel {
  readonly name: string;
  /** Absolute path of the `.ts` file that declares and exports `name`. */
  readonly file: string;
}

export interface MethodModel {
  readonly name: string;
  readonly kind: MethodKind;
  readonly doc: DocModel;
  readonly options: MethodOptionsModel;
  /** The request parameter, or none when the method takes no request. */
  readonly request: { readonly name: string; readonly type: TypeModel; readonly ref: TypeRefModel } | null;
  /** The reply's type; for a stream, the type of each item. */
  readonly response: { readonly type: TypeModel; readonly ref: TypeRefModel };
}

export interface ServiceModel {
  /** The interface name, which is also the service name on the wire. */
  readonly name: string;
  /** Absolute path of the file declaring the interface. */
  readonly file: string;
  readonly doc: DocModel;
  readonly methods: readonly MethodModel[];
  /** Named recursive types referenced by `{ kind: "ref" }`, sorted by name. */
  readonly types: Readonly<Record<string, TypeModel>>;
}
