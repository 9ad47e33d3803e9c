import { expect } from "chai";
import { config } from "rxjs";
import { MessageStream } from "../../packages/ferry/src/core/message-stream.js";

describe("MessageStream", () => {
  it("hands each pushed value to every subscriber present, in order", () => {
    const stream = new MessageStream<number>();
    const first: number[] = [];
    const second: number[] = [];
    stream.push(0); // nobody yet: dropped, as with a Subject
    const one = stream.messages.subscribe((value) => first.push(value));
    stream.push(1);
    stream.messages.subscribe((value) => second.push(value));
    stream.push(2);
    one.unsubscribe();
    stream.push(3);
    expect([first, second]).to.deep.equal([[1, 2], [2, 3]]);
  });

  it("lets a subscriber leave while a value is being handed out", () => {
    const stream = new MessageStream<string>();
    const seen: string[] = [];
    const leaving = stream.messages.subscribe((value) => {
      seen.push(`a:${value}`);
      leaving.unsubscribe();
    });
    stream.messages.subscribe((value) => seen.push(`b:${value}`));
    stream.push("x");
    stream.push("y");
    expect(seen).to.deep.equal(["a:x", "b:x", "b:y"]);
  });

  it("completes its subscribers once, and completes at once whoever subscribes later", () => {
    const stream = new MessageStream<number>();
    const events: string[] = [];
    stream.messages.subscribe({ next: (value) => events.push(`next ${value}`), complete: () => events.push("complete") });
    stream.complete();
    stream.complete();
    stream.push(1);
    stream.messages.subscribe({ next: () => events.push("late next"), complete: () => events.push("late complete") });
    expect(events).to.deep.equal(["complete", "late complete"]);
  });

  it("keeps serving the others when one subscriber throws, and reports the error to rxjs", async () => {
    const stream = new MessageStream<number>();
    const reported: unknown[] = [];
    const previous = config.onUnhandledError;
    config.onUnhandledError = (error) => reported.push(error);
    try {
      const seen: number[] = [];
      stream.messages.subscribe(() => {
        throw new Error("handler failed");
      });
      stream.messages.subscribe((value) => seen.push(value));
      stream.push(7);
      expect(seen).to.deep.equal([7]);
      // rxjs reports a subscriber's error on a timer of its own.
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(reported.map((error) => (error as Error).message)).to.deep.equal(["handler failed"]);
    } finally {
      config.onUnhandledError = previous;
    }
  });
});
