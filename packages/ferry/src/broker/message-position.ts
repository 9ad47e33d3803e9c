import { InvalidArgumentError } from "../core/errors.js";

/** Where the embedded broker holds a message: its id for `Transport.browse` and `remove` is `<partition>:<offset>`. */
export interface MessagePosition {
  partition: number;
  offset: number;
}

export function formatPosition(position: MessagePosition): string {
  return `${position.partition}:${position.offset}`;
}

/** Reads an id `formatPosition` wrote; anything else is an `InvalidArgumentError` naming it. */
export function parsePosition(id: string): MessagePosition {
  const match = typeof id === "string" ? /^(\d{1,4}):(\d{1,16})$/.exec(id) : null;
  if (match === null) throw new InvalidArgumentError(`message id ${JSON.stringify(id)} is not <partition>:<offset>, as browse gives it`);
  return { partition: Number(match[1]), offset: Number(match[2]) };
}
