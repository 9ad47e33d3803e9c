/** Names shared by the emitters, so every generated file agrees on them. */

/** `OrderEvents` -> `order-events`, `HTTPGateway` -> `http-gateway`: the base name of a service's files. */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .replace(/[_\s]+/g, "-")
    .toLowerCase();
}

export function upperFirst(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

export const serviceNames = (service: string) => ({
  client: `${service}Client`,
  definition: `${service}Definition`,
  handlers: `${service}Handlers`,
  serve: `serve${service}`,
});

export const validatorNames = (method: string) => ({
  request: `validate${upperFirst(method)}Request`,
  response: `validate${upperFirst(method)}Response`,
});

/** Runtime names the generated files import: a user type with one of these names is referred to indirectly. */
const runtimeNames = ["CallOptions", "EmitOptions", "FerryCaller", "Provider", "ServedService", "ServeOptions", "ServiceHandlers", "ServiceHost", "ValidationIssue", "defineService", "method", "event"];

/** Every name a service's generated files declare or import, besides the user's types. */
export function reservedNames(service: string): ReadonlySet<string> {
  return new Set([service, ...Object.values(serviceNames(service)), ...runtimeNames]);
}
