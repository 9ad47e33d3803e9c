import { headers as natsHeaders, type MsgHdrs } from "nats";

/** Headers the transport adds. Core-mode calls without a key carry none, to keep the hot path lean. */
export const Header = {
  /** Partition and ordering key. */
  Key: "Ferry-Key",
  /** Epoch ms after which a consumer drops the message unhandled. */
  ExpiresAt: "Ferry-Expires-At",
  /** Core mode: the delivery count of a message republished by `nack`. */
  Delivery: "Ferry-Delivery",
  /** JetStream's publish id: a resent duplicate within the window is dropped. */
  MsgId: "Nats-Msg-Id",
} as const;
export type Header = (typeof Header)[keyof typeof Header];

export function buildHeaders(values: Partial<Record<Header, string>>): MsgHdrs | undefined {
  let result: MsgHdrs | undefined;
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    result ??= natsHeaders();
    result.set(name, value);
  }
  return result;
}

export function readNumber(headers: MsgHdrs | undefined, name: Header): number | undefined {
  const value = headers?.get(name);
  if (value === undefined || value === "") return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

export function readString(headers: MsgHdrs | undefined, name: Header): string | undefined {
  const value = headers?.get(name);
  return value === undefined || value === "" ? undefined : value;
}
