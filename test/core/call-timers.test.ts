import { expect } from "chai";
import { CallTimers, type Timed } from "../../packages/ferry/src/core/call-timers.js";
import { fakeClock } from "../support/fake-clock.js";

/** A queued item that records when it fired, by name. */
function item(name: string, fired: string[], onFire?: () => void): Timed {
  return { dueAt: 0, queueIndex: -1, queueOrder: 0, fire: () => (fired.push(name), onFire?.()) };
}

describe("CallTimers", () => {
  it("fires items in due order on one clock timer, and an idle queue holds no timer", async () => {
    const clock = fakeClock(1_000_000);
    const timers = new CallTimers(clock);
    const fired: string[] = [];
    for (const [name, delay] of [["c", 300], ["a", 100], ["d", 400], ["b", 200], ["b2", 200]] as const) timers.schedule(item(name, fired), delay);
    expect([timers.size, clock.timers()]).to.deep.equal([5, 1]);
    await clock.tick(99);
    expect(fired).to.deep.equal([]);
    await clock.tick(1);
    expect(fired).to.deep.equal(["a"]);
    await clock.tick(300);
    expect(fired).to.deep.equal(["a", "b", "b2", "c", "d"]);
    expect([timers.size, clock.timers()]).to.deep.equal([0, 0]);
  });

  it("never fires a cancelled item; cancelling the last one clears the clock timer", async () => {
    const clock = fakeClock(1_000_000);
    const timers = new CallTimers(clock);
    const fired: string[] = [];
    const items = Array.from({ length: 50 }, (_, i) => item(`i${i}`, fired));
    items.forEach((entry, i) => timers.schedule(entry, 10 + ((i * 37) % 50)));
    // Cancel every item but the multiples of 7, in an order unrelated to their due times.
    for (const [i, entry] of items.entries()) if (i % 7 !== 0) timers.cancel(entry);
    timers.cancel(items[1]!); // twice: nothing
    expect(timers.size).to.equal(8);
    await clock.tick(100);
    expect(fired.sort()).to.deep.equal(["i0", "i14", "i21", "i28", "i35", "i42", "i49", "i7"]);
    const last = item("last", fired);
    timers.schedule(last, 1_000);
    timers.cancel(last);
    expect([timers.size, clock.timers()]).to.deep.equal([0, 0]);
  });

  it("moves its timer earlier for a sooner item, and after the soonest is cancelled fires early and waits again", async () => {
    const clock = fakeClock(1_000_000);
    const timers = new CallTimers(clock);
    const fired: string[] = [];
    const late = item("late", fired);
    const soon = item("soon", fired);
    timers.schedule(late, 500);
    timers.schedule(soon, 100);
    timers.cancel(soon);
    await clock.tick(100); // the timer set for `soon` fires, finds nothing due, and is set for `late`
    expect([fired, clock.timers()]).to.deep.equal([[], 1]);
    await clock.tick(399);
    expect(fired).to.deep.equal([]);
    await clock.tick(1);
    expect(fired).to.deep.equal(["late"]);
  });

  it("lets an item schedule itself again as it fires (a retry's backoff)", async () => {
    const clock = fakeClock(1_000_000);
    const timers = new CallTimers(clock);
    const fired: string[] = [];
    let rounds = 0;
    const retrying: Timed = item("retry", fired, () => {
      if (++rounds < 3) timers.schedule(retrying, 50);
    });
    timers.schedule(retrying, 50);
    await clock.tick(200);
    expect(fired).to.deep.equal(["retry", "retry", "retry"]);
    expect([timers.size, clock.timers()]).to.deep.equal([0, 0]);
  });

  it("fires what was due when its timer fires, even if the wall clock was set back meanwhile", async () => {
    const clock = fakeClock(1_000_000);
    const timers = new CallTimers(clock);
    const fired: string[] = [];
    timers.schedule(item("a", fired), 100);
    clock.setNow(1_000_000 - 3_600_000); // an hour back
    await clock.tick(100);
    expect(fired).to.deep.equal(["a"]);
  });
});
