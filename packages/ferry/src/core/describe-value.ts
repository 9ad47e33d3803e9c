/**
 * A short description of a value a caller passed, for error messages: what it is, never its
 * whole content (which may be large or secret).
 */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "string":
      return value.length > 64 ? `a string of ${value.length} characters` : `the string ${JSON.stringify(value)}`;
    case "number":
    case "bigint":
    case "boolean":
      return `${typeof value} ${String(value)}`;
    case "symbol":
      return "a symbol";
    case "function":
      return value.name === "" ? "an anonymous function" : `${/^class\b/.test(Function.prototype.toString.call(value)) ? "class" : "function"} ${value.name}`;
    default: {
      if (Array.isArray(value)) return `an array of ${value.length}`;
      const keys = Object.keys(value);
      const shown = keys.slice(0, 5).join(", ");
      return keys.length === 0 ? "an empty object" : `an object with ${keys.length > 5 ? `${shown}, ...` : shown}`;
    }
  }
}
