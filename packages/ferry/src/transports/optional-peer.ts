import { InvalidArgumentError } from "../core/errors.js";

/**
 * Loads a transport whose client library is an optional peer dependency (`nats`), so an application
 * pays for it only when it uses that transport. A missing install becomes an error that names the
 * package to install, rather than Node's "Cannot find package" from deep inside Ferry.
 */
export async function importOptionalPeer<T>(load: () => Promise<T>, packageName: string, usedFor: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" && String((error as Error).message).includes(`'${packageName}'`);
    if (!missing) throw error;
    throw new InvalidArgumentError(`${usedFor} needs the ${packageName} package, an optional peer of ferry: npm install ${packageName}`, { cause: error });
  }
}
