import FakeTimers from "@sinonjs/fake-timers";
import type { Clock } from "../../packages/ferry/src/core/clock.js";

/** A `Clock` driven by hand, starting at the real time so deadlines look plausible to brokers. */
export interface FakeClock extends Clock {
  /** Advances time, running due timers and the promise callbacks they trigger. */
  tick(ms: number): Promise<void>;
  /** Timers armed on this clock and not yet fired or cleared. */
  timers(): number;
  /** Moves the clock to `ms` without firing timers (to line up with a broker on real time). */
  setNow(ms: number): void;
}

export function fakeClock(start = Date.now()): FakeClock {
  const clock = FakeTimers.createClock(start);
  return {
    now: () => clock.now,
    setTimeout: (callback, delayMs) => clock.setTimeout(callback, delayMs),
    clearTimeout: (handle) => clock.clearTimeout(handle as FakeTimers.TimerId),
    tick: async (ms) => {
      await clock.tickAsync(ms);
    },
    timers: () => clock.countTimers(),
    setNow: (ms) => clock.setSystemTime(ms),
  };
}
