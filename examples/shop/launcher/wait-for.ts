/**
 * Polls `check` until it holds. Gives up after `giveUpMs`, a guard against a hang rather than a
 * measure of speed: a step waits on what it expects to see, never on a fixed sleep.
 */
export async function waitFor(what: string, check: () => Promise<boolean>, giveUpMs = 20_000, everyMs = 25): Promise<void> {
  const giveUpAt = Date.now() + giveUpMs;
  while (!(await check())) {
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting for ${what} after ${giveUpMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
