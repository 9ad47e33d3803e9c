import { UnavailableError } from "../../core/errors.js";
import type { Transport } from "../../core/transport.js";
import type { NatsTransportOptions } from "./nats-options.js";

/** The NATS transport (work in progress). */
export class NatsTransport {
  static connect(options: NatsTransportOptions): Promise<Transport> {
    return Promise.reject(new UnavailableError(`nats transport is not available yet (${options.url ?? "no url"})`));
  }
}
