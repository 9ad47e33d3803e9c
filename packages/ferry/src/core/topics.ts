/** The topic a service's requests and events are published to. */
export function serviceTopic(service: string): string {
  return `svc.${service}`;
}
