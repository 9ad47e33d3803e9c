import "reflect-metadata";
import { container as globalContainer, inject, injectable, type DependencyContainer, type InjectionToken } from "tsyringe";
import { describeValue } from "./describe-value.js";
import { InvalidArgumentError } from "./errors.js";
import type { IdempotencyStore } from "./idempotency.js";
import type { Transport } from "./transport.js";

// The only module that imports tsyringe. Each runtime owns a child container: registrations made
// for one Ferry never leak into another, and tsyringe's global container is never written to.

export { inject, injectable };
export type { DependencyContainer, InjectionToken };

/** The `Ferry` runtime itself, for handlers that make calls of their own. */
export const FERRY: InjectionToken<unknown> = Symbol.for("ferry.Ferry");
export const TRANSPORT: InjectionToken<Transport> = Symbol.for("ferry.Transport");
/** Register one on the container passed to `connect` to replace the in-memory store. */
export const IDEMPOTENCY_STORE: InjectionToken<IdempotencyStore> = Symbol.for("ferry.IdempotencyStore");

type Constructor<T> = new (...args: any[]) => T;

/** How `serve` gets its implementation: an instance, a class the container builds, or a factory. */
export type Provider<T> = T | { useClass: Constructor<T> } | { useFactory: (container: DependencyContainer) => T };

export function createRuntimeContainer(parent?: DependencyContainer): DependencyContainer {
  if (parent !== undefined && typeof (parent as Partial<DependencyContainer> | null)?.createChildContainer !== "function") {
    throw new InvalidArgumentError(`container must be a tsyringe DependencyContainer, got ${describeValue(parent)}`);
  }
  return (parent ?? globalContainer).createChildContainer();
}

export function resolveProvider<T extends object>(container: DependencyContainer, provider: Provider<T>): T {
  if (typeof provider === "object" && provider !== null) {
    if ("useClass" in provider && typeof provider.useClass === "function") return container.resolve(provider.useClass);
    if ("useFactory" in provider && typeof provider.useFactory === "function") return provider.useFactory(container);
  }
  return provider as T;
}
