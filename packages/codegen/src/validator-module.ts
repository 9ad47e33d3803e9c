import type { RuntimeHelper } from "./validator-runtime.js";

/**
 * What a validators file declares besides its exported functions: helper functions and
 * constants, in the order they were first needed, and the runtime helpers its code calls.
 */
export class ValidatorModule {
  readonly helpers = new Map<string, string>();
  readonly uses = new Set<RuntimeHelper>();
  private readonly names = new Map<string, string>();
  private readonly counts = new Map<string, number>();

  /** Declares `name` once; `build` may refer to it (a recursive type's helper calls itself). */
  declare(name: string, build: () => string): void {
    if (this.helpers.has(name)) return;
    this.helpers.set(name, ""); // reserve first
    this.helpers.set(name, build());
  }

  /** `prefix1`, `prefix2`, ...: one name per distinct `key`, so equal helpers are shared. */
  nameFor(prefix: string, key: string): { name: string; isNew: boolean } {
    const known = this.names.get(`${prefix}\0${key}`);
    if (known !== undefined) return { name: known, isNew: false };
    const count = (this.counts.get(prefix) ?? 0) + 1;
    this.counts.set(prefix, count);
    const name = `${prefix}${count}`;
    this.names.set(`${prefix}\0${key}`, name);
    return { name, isNew: true };
  }

  use(...helpers: RuntimeHelper[]): void {
    for (const helper of helpers) this.uses.add(helper);
  }
}
