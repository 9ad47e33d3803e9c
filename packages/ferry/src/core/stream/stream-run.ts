import type { Clock } from "../clock.js";
import { runInContext } from "../context.js";
import { maxStreamWindow } from "../defaults.js";
import { describeValue } from "../describe-value.js";
import { CancelledError, DeadlineExceededError, InternalError, PayloadTooLargeError, ProtocolError, UnavailableError } from "../errors.js";
import type { HandlerRun } from "../handler-run.js";
import { encodeValue } from "../wire/codec.js";
import { encodeEnvelope, MessageKind, type Envelope } from "../wire/envelope.js";
import { toWireError } from "../wire/wire-error.js";
import { encodeItemBatch, itemBatchHeaderBytes, maxItemBatchBytes } from "./item-batch.js";

/** What a stream's run needs from its server. */
export interface StreamRunHost {
  readonly clock: Clock;
  /** The server's control queue: where callers send credits and `Cancel`. */
  readonly controlQueue: string;
  /** A caller silent this long is gone: its stream stops, ms. */
  readonly idleTimeoutMs: number;
  /** Largest encoded item, bytes (the message limit). */
  readonly maxItemBytes: number;
  reply(queue: string, bytes: Uint8Array): void;
  /** The handler is done (its `return()` has run, or it ended by itself). */
  finished(): void;
}

type StreamHandler = (request: unknown, context: HandlerRun) => unknown;

/**
 * The server's side of one stream: pulls the handler's `AsyncIterable` only while the caller's
 * credit allows, sends each item numbered from 0, then `StreamEnd` (with the error, if it failed).
 *
 * The generator is never pulled for item `n` before the credit exceeds `n`, so it runs at most a
 * window ahead of the consumer. A stop (the caller's `Cancel`, the deadline, a silent caller, a
 * hostile credit, a shutdown) aborts `ctx.signal` and, once any pull in progress has returned,
 * calls the iterator's `return()`, so the generator's `finally` blocks run.
 */
export class StreamRun {
  private sent = 0;
  private granted: number;
  private stopReason: Error | undefined;
  private wakeUp: (() => void) | undefined;
  private idleTimer: unknown;
  /** Items encoded and counted as sent, waiting for the end of this turn of the event loop. */
  private pending: Uint8Array[] = [];
  /** What a lone item's message adds to the item's own encoding, at most, bytes. */
  private readonly itemOverhead: number;
  private flushScheduled = false;
  private deadlineTimer: unknown;
  private readonly label: string;

  constructor(
    private readonly host: StreamRunHost,
    private readonly run: HandlerRun,
    private readonly request: Envelope,
    window: number,
  ) {
    this.granted = window;
    this.label = `${run.service}.${run.method}`;
    // The envelope without a body, with the widest sequence number; a body's bin header then takes at most 4 bytes more than the nil it replaces.
    this.itemOverhead = encodeEnvelope({ kind: MessageKind.StreamItem, correlationId: request.correlationId, sequence: 2 ** 53 }).length + 4;
    run.onAbort = (reason) => this.stop(reason);
  }

  /** The error the stream ended with, told to the caller; undefined while it runs, on success or on a caller's cancel. */
  private failure: unknown;

  /** Items sent so far. */
  get itemsSent(): number {
    return this.sent;
  }

  /**
   * Starts the handler and sends its items. `host.finished` says when it is over; so does the
   * promise returned, which resolves with the number of items sent (the generator ended, or the
   * caller cancelled) or rejects with the error the caller was told.
   */
  start(handler: StreamHandler, value: unknown): Promise<number> {
    this.send({ kind: MessageKind.Started, correlationId: this.request.correlationId, replyTo: this.host.controlQueue });
    this.armIdle();
    if (this.run.deadline !== Infinity) {
      this.deadlineTimer = this.host.clock.setTimeout(
        () => this.run.abort(new DeadlineExceededError(`the deadline of ${this.label} passed while it streamed`)),
        this.run.deadline - this.host.clock.now(),
      );
    }
    // Run in the call's context once: every await of the pump, and so every resumption of the
    // generator, inherits it, with no AsyncLocalStorage.run per item.
    return runInContext(this.run, () => this.pump(handler, value)).then(
      () => this.over(),
      () => this.over(),
    );
  }

  /**
   * Refuses the stream before its handler starts (a server interceptor threw): the caller gets
   * the error as a single reply, as for a request refused before its stream began.
   */
  refuse(error: unknown): void {
    this.host.reply(this.request.replyTo!, encodeEnvelope({ kind: MessageKind.Reply, correlationId: this.request.correlationId, attempt: this.request.attempt, error: toWireError(error) }));
    this.run.onAbort = undefined;
    this.run.end();
    this.host.finished();
  }

  /** A credit (or, unchanged, a ping) from the caller. */
  credit(credit: number | undefined): void {
    this.armIdle();
    if (this.stopReason !== undefined) return;
    if (credit === this.granted) {
      this.send({ kind: MessageKind.Heartbeat, correlationId: this.request.correlationId });
      return;
    }
    // An honest caller grants what it has taken plus its window (at most maxStreamWindow), and has taken at most what was sent.
    const most = this.sent + maxStreamWindow;
    if (typeof credit !== "number" || !Number.isInteger(credit) || credit < this.granted || credit > most) {
      const why = typeof credit !== "number" || !Number.isInteger(credit) ? "is not a whole number" : credit < this.granted ? `is below the ${this.granted} already granted` : `is beyond ${most} (items sent plus maxStreamWindow)`;
      this.run.abort(new ProtocolError(`the credit ${describeValue(credit)} from the caller of ${this.label} ${why}`));
      return;
    }
    this.granted = credit;
    this.wake();
  }

  /** Stops the stream (from `run.abort`): wakes a pull waiting for credit; the pump calls `return()`. */
  private stop(reason: Error): void {
    if (this.stopReason !== undefined) return;
    this.stopReason = reason;
    this.wake();
  }

  private async pump(handler: StreamHandler, value: unknown): Promise<void> {
    let iterator: AsyncIterator<unknown> | undefined;
    try {
      const iterable = await handler(value, this.run);
      if (typeof (iterable as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] !== "function") {
        throw new InternalError(`the handler of stream ${this.label} returned ${describeValue(iterable)}, not an AsyncIterable`);
      }
      iterator = (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator]();
      for (;;) {
        if (this.stopReason !== undefined) break;
        if (this.sent >= this.granted) {
          await new Promise<void>((resolve) => (this.wakeUp = resolve));
          continue;
        }
        const step = await iterator.next();
        if (this.stopReason !== undefined) break;
        if (step.done === true) return this.end(undefined);
        this.sendItem(step.value);
      }
    } catch (error) {
      // The handler threw (its `finally` has run) or an item could not be sent: close the
      // iterator in case it is still suspended, then tell the caller.
      await closeQuietly(iterator);
      return this.end(error);
    }
    await closeQuietly(iterator);
    // A caller's cancel needs no answer, nor the items still waiting: it stopped listening.
    if (this.stopReason instanceof CancelledError) this.pending = [];
    else this.end(this.stopReason);
  }

  private sendItem(item: unknown): void {
    let body: Uint8Array;
    try {
      body = encodeValue(item);
    } catch (error) {
      throw new InternalError(`item ${this.sent} of ${this.label} cannot be encoded: ${(error as Error).message}`, { cause: error });
    }
    const size = this.itemOverhead + body.length;
    if (size > this.host.maxItemBytes) {
      throw new PayloadTooLargeError(`item ${this.sent} of ${this.label} is ${body.length} bytes (${size} with its envelope), over the message limit of ${this.host.maxItemBytes} bytes`, {
        data: { sizeBytes: size, maxBytes: this.host.maxItemBytes },
      });
    }
    this.sent++;
    this.pending.push(body);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flush);
  }

  /**
   * Sends the items produced during this turn of the event loop: as few `StreamItems` messages
   * as `maxItemBatchBytes` and the message limit allow (a lone item as a `StreamItem`). Each pull
   * of an async generator takes only microtasks, so a generator with items at hand fills the turn
   * up to its credit, and a stream of small items pays for one message per turn instead of one
   * per item (sent one by one, 100-byte items over NATS went at a quarter of what NATS carries).
   * At most a window of items waits here, for less than a turn.
   */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const items = this.pending;
    if (items.length === 0) return;
    this.pending = [];
    const first = this.sent - items.length;
    const room = Math.min(this.host.maxItemBytes, maxItemBatchBytes) - this.itemOverhead - itemBatchHeaderBytes;
    for (let start = 0; start < items.length; ) {
      let end = start + 1;
      let bytes = items[start]!.length;
      while (end < items.length && bytes + items[end]!.length <= room) bytes += items[end++]!.length;
      this.sendItems(items, start, end, first + start, bytes);
      start = end;
    }
  };

  /** Sends `items[start..end)`, numbered from `sequence`, `bytes` long in all, as one message. */
  private sendItems(items: Uint8Array[], start: number, end: number, sequence: number, bytes: number): void {
    const correlationId = this.request.correlationId;
    const envelope: Envelope =
      end - start === 1
        ? { kind: MessageKind.StreamItem, correlationId, sequence, body: items[start] }
        : { kind: MessageKind.StreamItems, correlationId, sequence, body: encodeItemBatch(items.slice(start, end), bytes) };
    this.host.reply(this.request.replyTo!, encodeEnvelope(envelope));
  }

  private end(error: unknown): void {
    const end: Envelope = { kind: MessageKind.StreamEnd, correlationId: this.request.correlationId, sequence: this.sent };
    if (error !== undefined) {
      this.failure = error;
      end.error = toWireError(error);
    }
    this.send(end);
  }

  /** Sends a message that is not an item: after the items before it. */
  private send(envelope: Envelope): void {
    this.flush();
    this.host.reply(this.request.replyTo!, encodeEnvelope(envelope));
  }

  private wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }

  private armIdle(): void {
    if (this.idleTimer !== undefined) this.host.clock.clearTimeout(this.idleTimer);
    this.idleTimer = this.host.clock.setTimeout(
      () => this.run.abort(new UnavailableError(`the caller of ${this.label} sent nothing for ${this.host.idleTimeoutMs} ms`)),
      this.host.idleTimeoutMs,
    );
  }

  private over(): number {
    this.host.clock.clearTimeout(this.idleTimer);
    if (this.deadlineTimer !== undefined) this.host.clock.clearTimeout(this.deadlineTimer);
    this.stopReason ??= new CancelledError("the stream ended");
    this.run.onAbort = undefined;
    this.run.end();
    this.host.finished();
    if (this.failure !== undefined) throw this.failure;
    return this.sent;
  }
}

/** Calls `return()` on an iterator that may still be suspended; its own failure concerns nobody now. */
async function closeQuietly(iterator: AsyncIterator<unknown> | undefined): Promise<void> {
  try {
    await iterator?.return?.();
  } catch {
    // A `finally` that throws while the stream is already ending has nobody left to tell.
  }
}
