import type { Subscription } from "rxjs";
import type { Logger } from "./logger.js";
import type { ServerObserver } from "./server-observer.js";
import type { Transport } from "./transport.js";

/** The server events a runtime logs: refused and malformed input, redeliveries and dead letters (never a payload). */
export function loggingObserver(logger: Logger): ServerObserver {
  return {
    refused: (service, method, error) => logger.warn({ service, method, code: error.code, reason: error.message }, "request refused before its handler"),
    malformed: (topic, error) => logger.warn({ topic, code: error.code, reason: error.message }, "malformed message dead-lettered"),
    deduplicated: (service, method, how) => logger.debug({ service, method, how }, "duplicate request answered from its first run"),
    redelivered: (service, method, deliveryCount, error, last) => {
      if (last) logger.error({ service, method, deliveryCount, code: error.code, reason: error.message }, "handler failed on its last delivery: message dead-lettered");
      else logger.warn({ service, method, deliveryCount, code: error.code, reason: error.message }, "handler failed retryably: message redelivered");
    },
  };
}

/** Logs the transport's connection state changes: `reconnecting` as a warning, the others as info. */
export function logConnectionStates(transport: Transport, logger: Logger): Subscription {
  return transport.state$.subscribe((state) => {
    if (state === "reconnecting") logger.warn({ state }, "connection to the broker lost: reconnecting");
    else logger.info({ state }, `connection ${state}`);
  });
}
