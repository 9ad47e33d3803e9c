import type { Context } from "mocha";

/**
 * A `beforeEach` that skips the conformance tests named in `skips` (title -> reason): a mode
 * that cannot do something says so here, by name, and the rest of the suite still runs.
 */
export function skipNamed(skips: Record<string, string>): (this: Context) => void {
  return function (this: Context) {
    const title = this.currentTest?.title;
    if (title !== undefined && Object.hasOwn(skips, title)) this.skip();
  };
}
