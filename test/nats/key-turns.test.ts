import { expect } from "chai";
import { KeyTurns, type TurnCheck, type TurnHost, type TurnItem } from "../../packages/ferry/src/transports/nats/key-turns.js";
import { gate, turn, until } from "../support/wait.js";

interface Message extends TurnItem {
  readonly name: string;
}

function message(line: string, seq: number): Message {
  return { line, seq, name: `${line}${seq}` };
}

/**
 * A work-queue stream in miniature: the sequences it still holds per key subject. Each check
 * answers from it, unless a test holds the answer back with `pause`.
 */
class FakeStream implements TurnHost<Message> {
  readonly held = new Map<string, Set<number>>();
  readonly events: string[] = [];
  checks = 0;
  private paused: { open: () => void; promise: Promise<void> } | undefined;

  store(...messages: Message[]): void {
    for (const { line, seq } of messages) (this.held.get(line) ?? this.held.set(line, new Set()).get(line)!).add(seq);
  }

  /** The message is acked: the stream deletes it. */
  delete({ line, seq }: Message): void {
    this.held.get(line)?.delete(seq);
  }

  /** Checks answer only once `resume` is called, from what the stream holds then... or before. */
  pause(): void {
    const { promise, open } = gate();
    this.paused = { promise, open };
  }

  resume(): void {
    const paused = this.paused;
    this.paused = undefined;
    paused?.open();
  }

  async check(item: Message, fromSeq: number): Promise<TurnCheck> {
    this.checks++;
    // The answer is read now, as a request is answered now, and arrives when the test lets it.
    const first = Math.min(...[...(this.held.get(item.line) ?? [])].filter((seq) => seq >= fromSeq));
    await this.paused?.promise;
    if (!Number.isFinite(first) || first > item.seq) return "gone";
    return first === item.seq ? "head" : "behind";
  }

  start(item: Message): void {
    this.events.push(`start ${item.name}`);
  }

  wait(item: Message): void {
    if (this.events.at(-1) !== `wait ${item.name}`) this.events.push(`wait ${item.name}`);
  }

  drop(item: Message): void {
    this.events.push(`drop ${item.name}`);
  }

  started(): string[] {
    return this.events.filter((event) => event.startsWith("start")).map((event) => event.slice(6));
  }
}

describe("key turns", () => {
  let turns: KeyTurns<Message> | undefined;
  afterEach(() => turns?.close());

  /** Turns that ask again only when nudged or settled: a pause long enough never to run out in a test. */
  function noPolling(stream: FakeStream): KeyTurns<Message> {
    turns = new KeyTurns(stream, { minRecheckMs: 60_000, maxRecheckMs: 60_000 });
    return turns;
  }

  it("runs a key's messages one at a time, in stream order, and other keys beside them", async () => {
    const stream = new FakeStream();
    const turns = noPolling(stream);
    const [a1, a2, a3, b1] = [message("a", 1), message("a", 2), message("a", 3), message("b", 4)];
    stream.store(a1, a2, a3, b1);
    for (const item of [a1, a2, a3, b1]) turns.arrive(item);
    await until(() => stream.started().length === 2, "a1 and b1");
    expect(stream.started()).to.deep.equal(["a1", "b4"]);

    stream.delete(a1);
    turns.settled(a1, true);
    await until(() => stream.started().includes("a2"), "a2");
    stream.delete(a2);
    turns.settled(a2, true);
    await until(() => stream.started().includes("a3"), "a3");
    expect(stream.started()).to.deep.equal(["a1", "b4", "a2", "a3"]);
  });

  it("holds a message behind an earlier one of its key held elsewhere, and runs it once nudged after that one is done", async () => {
    const stream = new FakeStream();
    const turns = noPolling(stream);
    const [elsewhere, mine] = [message("a", 1), message("a", 2)];
    stream.store(elsewhere, mine);
    turns.arrive(mine);
    await until(() => stream.events.includes("wait a2"), "a2 waiting");
    expect(stream.started()).to.deep.equal([]);

    stream.delete(elsewhere);
    turns.nudge("a");
    await until(() => stream.started().length === 1, "a2");
    expect(stream.started()).to.deep.equal(["a2"]);
  });

  it("asks again at once when a nudge came while its check was on its way", async () => {
    const stream = new FakeStream();
    const turns = noPolling(stream);
    const [elsewhere, mine] = [message("a", 1), message("a", 2)];
    stream.store(elsewhere, mine);
    stream.pause();
    turns.arrive(mine);
    await turn();
    // The check read the stream while a1 was there; a1 is done before its answer arrives.
    stream.delete(elsewhere);
    turns.nudge("a");
    stream.resume();
    await until(() => stream.started().length === 1, "a2, without waiting out a pause");
    expect(stream.checks).to.equal(2);
  });

  it("asks again after a pause, without a nudge", async () => {
    const stream = new FakeStream();
    turns = new KeyTurns(stream, { minRecheckMs: 1, maxRecheckMs: 4 });
    const [elsewhere, mine] = [message("a", 1), message("a", 2)];
    stream.store(elsewhere, mine);
    turns.arrive(mine);
    await until(() => stream.checks >= 3, "a few checks");
    expect(stream.started()).to.deep.equal([]);
    stream.delete(elsewhere);
    await until(() => stream.started().length === 1, "a2");
  });

  it("runs a redelivered earlier message before the later ones that arrived ahead of it", async () => {
    const stream = new FakeStream();
    const turns = noPolling(stream);
    const [a1, a2, a3] = [message("a", 1), message("a", 2), message("a", 3)];
    stream.store(a1, a2, a3);
    turns.arrive(a1);
    turns.arrive(a2);
    turns.arrive(a3);
    await until(() => stream.started().length === 1, "a1");
    // a1 fails and is nacked: the stream still holds it, and it comes back later.
    turns.settled(a1, false);
    await until(() => stream.checks === 2, "a2 asked");
    await turn();
    expect(stream.started()).to.deep.equal(["a1"]);
    const again = message("a", 1);
    turns.arrive(again);
    await until(() => stream.started().length === 2, "a1 again");
    stream.delete(again);
    turns.settled(again, true);
    await until(() => stream.started().length === 3, "a2");
    stream.delete(a2);
    turns.settled(a2, true);
    await until(() => stream.started().length === 4, "a3");
    expect(stream.started()).to.deep.equal(["a1", "a1", "a2", "a3"]);
  });

  it("drops a message the stream no longer holds (done elsewhere after a redelivery) and goes on with the next", async () => {
    const stream = new FakeStream();
    const turns = noPolling(stream);
    const [stale, next] = [message("a", 1), message("a", 2)];
    stream.store(next);
    turns.arrive(stale);
    turns.arrive(next);
    await until(() => stream.started().length === 1, "a2");
    expect(stream.events.filter((event) => !event.startsWith("wait"))).to.deep.equal(["drop a1", "start a2"]);
  });

  it("asks only about messages after the last one it saw done, so a deletion the stream has not applied yet holds nothing back", async () => {
    const stream = new FakeStream();
    const turns = noPolling(stream);
    const [a1, a2] = [message("a", 1), message("a", 2)];
    stream.store(a1, a2);
    turns.arrive(a1);
    turns.arrive(a2);
    await until(() => stream.started().length === 1, "a1");
    // Acked and confirmed, but still listed (a replica that has not applied the deletion yet).
    turns.settled(a1, true);
    await until(() => stream.started().length === 2, "a2");
  });

  it("hands back every waiting message when closed, and starts none after", async () => {
    const stream = new FakeStream();
    const own = new KeyTurns(stream, { minRecheckMs: 60_000, maxRecheckMs: 60_000 });
    const [a1, a2, b1] = [message("a", 1), message("a", 2), message("b", 3)];
    stream.store(a1, a2, b1);
    stream.pause();
    for (const item of [a1, a2, b1]) own.arrive(item);
    expect(own.close().map((item) => item.name).sort()).to.deep.equal(["a1", "a2", "b3"]);
    stream.resume();
    await turn();
    expect(stream.started()).to.deep.equal([]);
  });
});
