import { Observable } from "rxjs";

/** Per-stream options of `ferry.stream` (and of a generated client's stream method). */
export interface StreamOptions {
  /**
   * Most items the server may send ahead of what the consumer has taken (the credit window), from
   * 1 to 1,024 (`maxStreamWindow`). Default: the client's `streamWindow`, else 1,024 (`defaultStreamWindow`).
   */
  window?: number;
  /**
   * Bytes of items the server may send ahead of the consumer, judged by the average size of the
   * items received so far (so at least one item, at most `window`), from 1 to 256 MiB
   * (`maxStreamWindowBytes`). Default: the client's `streamWindowBytes`, else 1 MiB (`defaultStreamWindowBytes`).
   */
  windowBytes?: number;
  /** Longest wait for the next item once the consumer asked for it, ms. Default: the method's `@timeout`, else the client's `defaultTimeoutMs`. */
  timeoutMs?: number;
  /** Absolute end of the whole stream (epoch ms). Default: none (a stream inside a handler ends by that call's deadline). */
  deadline?: number;
  /** Partition and ordering key of the request. Default: the method's `@key` field of the request. */
  key?: string;
  headers?: Record<string, string>;
  /** Aborting ends the iteration with `CANCELLED` and stops the server's handler (its `finally` runs). */
  signal?: AbortSignal;
}

/** One iteration of a stream: what `FerryStream` asks its client to open. */
export type OpenStream<Item> = () => AsyncIterator<Item>;

/**
 * A stream's reply, not yet requested: every `for await` over it (and every subscription to
 * `asObservable()`) sends one request and iterates its items, with flow control. Breaking out of
 * the loop, or unsubscribing, stops the server's handler.
 */
export class FerryStream<Item> implements AsyncIterable<Item> {
  constructor(private readonly open: OpenStream<Item>) {}

  [Symbol.asyncIterator](): AsyncIterator<Item> {
    return this.open();
  }

  /**
   * The same stream as an rxjs `Observable`: each subscription makes one call, emits each item,
   * then completes or errors; unsubscribing stops the server. An observer cannot push back, so
   * items are taken as fast as they arrive: use `for await` for a consumer slower than its server.
   */
  asObservable(): Observable<Item> {
    return new Observable<Item>((subscriber) => {
      let iterator: AsyncIterator<Item>;
      try {
        iterator = this.open();
      } catch (error) {
        subscriber.error(error);
        return undefined;
      }
      const pump = async (): Promise<void> => {
        for (;;) {
          const step = await iterator.next();
          if (subscriber.closed) return;
          if (step.done === true) return subscriber.complete();
          subscriber.next(step.value);
        }
      };
      pump().catch((error: unknown) => subscriber.error(error));
      return () => {
        void iterator.return?.();
      };
    });
  }
}
