import type { JetStreamManager } from "nats";
import { InvalidArgumentError, UnimplementedError } from "../../core/errors.js";
import type { BrowseOptions, BrowsePage } from "../../core/transport.js";
import type { Subjects } from "./subjects.js";

/**
 * `Transport.browse` and `remove` on NATS, for dead-letter topics (`<topic>.dlq`): a durable
 * topic's dead letters are kept in the stream `<stream>_DLQ` (limits retention), read here by
 * sequence with the JetStream message-get API (`next_by_subj`), so no consumer is made and no
 * delivery is counted; `remove` deletes by sequence. A message's id is its stream sequence.
 * A core topic's dead letters are published on core NATS and kept nowhere: there is nothing to
 * browse, and `browse` says so.
 */
export class DeadLetterBrowser {
  constructor(
    private readonly jsm: () => Promise<JetStreamManager>,
    private readonly subjects: Subjects,
    private readonly isDurable: (topic: string) => Promise<boolean>,
  ) {}

  async browse(topic: string, options: BrowseOptions): Promise<BrowsePage> {
    if (!Number.isInteger(options.limit) || options.limit < 1) throw new InvalidArgumentError(`browse limit must be a positive integer, got ${options.limit}`);
    const stream = await this.streamOf(topic);
    const jsm = await this.jsm();
    const filter = `${this.subjects.subject(topic)}.*`;
    let seq = options.after === undefined ? 1 : readSequence(options.after) + 1;
    const messages: BrowsePage["messages"] = [];
    while (messages.length < options.limit) {
      const stored = await jsm.streams.getMessage(stream, { seq, next_by_subj: filter } as never).catch((error: unknown) => {
        if (isNoMessage(error)) return undefined;
        throw error;
      });
      if (stored === undefined) return { messages, next: undefined };
      messages.push({ id: String(stored.seq), bytes: stored.data, key: undefined });
      seq = stored.seq + 1;
    }
    return { messages, next: String(seq - 1) };
  }

  async remove(topic: string, ids: readonly string[]): Promise<number> {
    if (!Array.isArray(ids)) throw new InvalidArgumentError(`remove takes an array of message ids, got ${typeof ids}`);
    const sequences = ids.map(readSequence);
    const stream = await this.streamOf(topic);
    const jsm = await this.jsm();
    let removed = 0;
    for (const seq of sequences) {
      const deleted = await jsm.streams.deleteMessage(stream, seq, false).catch((error: unknown) => {
        if (isNoMessage(error)) return false;
        throw error;
      });
      if (deleted) removed++;
    }
    return removed;
  }

  /** The dead-letter stream of `topic` (`svc.X.dlq`), which must be a durable topic's. */
  private async streamOf(topic: string): Promise<string> {
    const origin = this.subjects.deadLetterOf(topic);
    if (origin === undefined) throw new UnimplementedError(`nats: browse and remove read dead-letter topics (<topic>.dlq) only, not ${topic}`);
    if (!(await this.isDurable(origin))) {
      throw new UnimplementedError(`nats: ${origin} is a core topic, whose dead letters are published on core NATS and not stored: declare it durable to keep them`);
    }
    return this.subjects.deadLetterStream(origin);
  }
}

function readSequence(id: string): number {
  if (typeof id !== "string" || !/^[1-9]\d{0,15}$/.test(id)) throw new InvalidArgumentError(`message id ${JSON.stringify(id)} is not a stream sequence, as browse gives it`);
  return Number(id);
}

/** The server's "no message found" (10037) and "stream not found" (10059): nothing there to read or delete. */
function isNoMessage(error: unknown): boolean {
  const code = (error as { api_error?: { err_code?: number } }).api_error?.err_code;
  return code === 10037 || code === 10059 || /no message found|stream not found/i.test(String(error));
}
