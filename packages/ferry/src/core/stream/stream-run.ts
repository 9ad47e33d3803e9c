import type { Clock } from "../clock.js";
import { runInContext } from "../context.js";
import { describeValue } from "../describe-value.js";
import { CancelledError, DeadlineExceededError, InternalError, PayloadTooLargeError, ProtocolError, UnavailableError } from "../errors.js";
import type { HandlerRun } from "../handler-run.js";
import { encodeValue } from "../wire/codec.js";
import { encodeEnvelope, MessageKind, type Envelope } from "../wire/envelope.js";
import { toWireError } from "../wire/wire-error.js";

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
    // An honest caller grants what it has taken plus its window, and has taken at most what was sent.
    const most = this.sent + this.initialWindow;
    if (typeof credit !== "number" || !Number.isInteger(credit) || credit < this.granted || credit > most) {
      const why = typeof credit !== "number" || !Number.isInteger(credit) ? "is not a whole number" : credit < this.granted ? `is below the ${this.granted} already granted` : `is beyond ${most} (items sent plus the window)`;
      this.run.abort(new ProtocolError(`the credit ${describeValue(credit)} from the caller of ${this.label} ${why}`));
      return;
    }
    this.granted = credit;
    this.wake();
  }

  private get initialWindow(): number {
    return this.request.sequence!;
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
    const bytes = encodeEnvelope({ kind: MessageKind.StreamItem, correlationId: this.request.correlationId, sequence: this.sent, body });
    if (bytes.length > this.host.maxItemBytes) {
      throw new PayloadTooLargeError(`item ${this.sent} of ${this.label} is ${bytes.length} bytes, over the message limit of ${this.host.maxItemBytes} bytes`, {
        data: { sizeBytes: bytes.length, maxBytes: this.host.maxItemBytes },
      });
    }
    this.sent++;
    this.pending.push(bytes);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flush);
  }

  /**
   * Sends the items produced during this turn of the event loop, one `reply` after another with
   * nothing in between. Each pull of an async generator takes a few microtasks, and a transport
   * may write at the end of a microtask (nats.js does): sent one by one, every item was its own
   * socket write, half of a NATS stream's CPU time. Batched, a turn's items go out in one write.
   * At most a window of items waits here, for less than a turn.
   */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const items = this.pending;
    if (items.length === 0) return;
    this.pending = [];
    for (const bytes of items) this.host.reply(this.request.replyTo!, bytes);
  };

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
