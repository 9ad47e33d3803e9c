import { describeValue } from "./describe-value.js";
import { InvalidArgumentError } from "./errors.js";

/** A class of application errors: any subclass of `Error`, whatever its constructor takes. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** The error classes a runtime rebuilds from the wire, by class name. */
export type ErrorClasses = ReadonlyMap<string, ErrorClass>;

/**
 * Indexes the classes given to `connect({ errors })` by their class name, which is the `name`
 * an error of the class carries on the wire (unless the class sets another `name`). Each
 * runtime has its own: two runtimes of one process may register different classes.
 */
export function errorClasses(classes: readonly ErrorClass[] | undefined): ErrorClasses | undefined {
  if (classes === undefined) return undefined;
  if (!Array.isArray(classes)) throw new InvalidArgumentError(`errors must be an array of error classes, got ${describeValue(classes)}`);
  const byName = new Map<string, ErrorClass>();
  for (const Class of classes as unknown[]) {
    if (typeof Class !== "function" || !(Class.prototype instanceof Error)) {
      throw new InvalidArgumentError(`errors: ${describeValue(Class)} is not a class that extends Error`);
    }
    // Remote errors are matched by name: a class without one could never be found.
    if (Class.name === "") throw new InvalidArgumentError("errors: an anonymous class cannot be matched by name; give it one");
    const existing = byName.get(Class.name);
    if (existing !== undefined && existing !== Class) throw new InvalidArgumentError(`errors: two different classes are named ${Class.name}`);
    byName.set(Class.name, Class as ErrorClass);
  }
  return byName;
}
