/** The topic a service's requests and events are published to. */
export function serviceTopic(service: string): string {
  return `svc.${service}`;
}

/** What a topic's name ends with to name its dead-letter topic. */
export const deadLetterSuffix = ".dlq";

/**
 * The topic where messages of `service` go once they can never be handled (`maxDeliveries`
 * reached, malformed): `svc.<Service>.dlq`. Consume it like any topic, and read each message with
 * `readDeadLetter`.
 */
export function deadLetterTopic(service: string): string {
  return `${serviceTopic(service)}${deadLetterSuffix}`;
}
