import { Observable, type Subscriber } from "rxjs";

/**
 * A reply queue's messages as an rxjs `Observable`, pushed with no allocation per message. An
 * rxjs `Subject` allocates on every `next` (a closure for its error context, an iterator over its
 * observers); a reply queue pushes one message per call, to one subscriber in practice. Like a
 * Subject it is hot: subscribers see what is pushed after they subscribe, and one that
 * subscribes after `complete` is completed at once.
 */
export class MessageStream<T> {
  private subscribers: Subscriber<T>[] = [];
  private completed = false;

  readonly messages = new Observable<T>((subscriber) => {
    if (this.completed) return subscriber.complete();
    this.subscribers = [...this.subscribers, subscriber];
    return () => {
      this.subscribers = this.subscribers.filter((other) => other !== subscriber);
    };
  });

  /** Hands `value` to every subscriber (an exception in one is reported by rxjs, not thrown here). */
  push(value: T): void {
    // The array is replaced, never changed, on (un)subscribe: a subscriber leaving during the loop is safe.
    const subscribers = this.subscribers;
    for (let i = 0; i < subscribers.length; i++) subscribers[i]!.next(value);
  }

  complete(): void {
    if (this.completed) return;
    this.completed = true;
    const subscribers = this.subscribers;
    this.subscribers = [];
    for (const subscriber of subscribers) subscriber.complete();
  }
}
