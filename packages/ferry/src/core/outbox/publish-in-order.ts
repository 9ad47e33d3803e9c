import type { Transport } from "../transport.js";
import type { OutboxRow } from "./outbox.js";

/** Which rows of a round the broker confirmed, and the first failure, if any. */
export interface PublishedRows<Row> {
  sent: Row[];
  error: Error | undefined;
}

/**
 * Publishes `rows` (in outbox order) and waits for the broker's confirms: the rows of one key one
 * after another, each only after the one before it was confirmed, so a failure never lets a later
 * row of its key overtake it; different keys, and rows without a key, in parallel. After a
 * failure no later row of that key is published this round.
 */
export async function publishInOrder<Row extends OutboxRow>(transport: Transport, rows: readonly Row[]): Promise<PublishedRows<Row>> {
  const lanes = new Map<string, Row[]>();
  const unkeyed: Row[] = [];
  for (const row of rows) {
    if (row.key === undefined) unkeyed.push(row);
    else {
      const lane = lanes.get(row.key);
      if (lane === undefined) lanes.set(row.key, [row]);
      else lane.push(row);
    }
  }
  const sent: Row[] = [];
  let error: Error | undefined;
  const publish = async (row: Row): Promise<boolean> => {
    try {
      await transport.publish(row.topic, row.bytes, { key: row.key, messageId: row.messageId, durable: row.durable });
      sent.push(row);
      return true;
    } catch (failure) {
      error ??= failure as Error;
      return false;
    }
  };
  await Promise.all([
    ...unkeyed.map(publish),
    ...[...lanes.values()].map(async (lane) => {
      for (const row of lane) if (!(await publish(row))) return;
    }),
  ]);
  return { sent, error };
}
