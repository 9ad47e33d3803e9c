import { backoffDelay } from "../backoff.js";
import { countOption, positiveMs } from "../store-options.js";
import { defaultOutboxBatch, defaultOutboxPollMs, type OutboxRelay, type OutboxRelayOptions, type OutboxRelayStats } from "./outbox.js";

/** What one round of a relay did. */
export interface RelayRound {
  /** Rows confirmed and marked sent. */
  sent: number;
  /** The first publish that failed: the round is retried after a backoff. */
  error: Error | undefined;
  /** Whether more rows may be ready now (a full batch): the next round starts at once. */
  more: boolean;
  /** Rows held back because an earlier row of their key is in another relay's hands: look again soon. */
  blocked: boolean;
}

/** The relay options, checked and with their defaults. */
export interface RelaySettings {
  batch: number;
  pollMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export function relaySettings(options: OutboxRelayOptions = {}): RelaySettings {
  return {
    batch: countOption("outbox relay", "batch", options.batch, defaultOutboxBatch),
    pollMs: positiveMs("outbox relay", "pollMs", options.pollMs, defaultOutboxPollMs),
    initialBackoffMs: positiveMs("outbox relay", "initialBackoffMs", options.initialBackoffMs, 100),
    maxBackoffMs: positiveMs("outbox relay", "maxBackoffMs", options.maxBackoffMs, 5_000),
  };
}

/** Wait after rows were held back for another relay's earlier row of their key, ms. */
const blockedRetryMs = 20;

/**
 * Runs a relay's rounds one at a time: at once while there is more, after a backoff while the
 * broker (or the database) fails, and otherwise when woken (`wake`: a send, a NOTIFY) or every
 * `pollMs`. The outbox supplies `round`; this only decides when it runs.
 */
export class RelayLoop implements OutboxRelay {
  private readonly counts: OutboxRelayStats = { relayed: 0, failures: 0, lastError: undefined };
  private timer: NodeJS.Timeout | undefined;
  private resume: (() => void) | undefined;
  private woken = false;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private readonly running: Promise<void>;

  constructor(
    private readonly round: () => Promise<RelayRound>,
    private readonly settings: RelaySettings,
    private readonly onStop: () => Promise<void> = async () => undefined,
  ) {
    this.running = this.run();
  }

  /** Looks for rows now (a send was just written or committed). */
  wake(): void {
    this.woken = true;
    this.resume?.();
  }

  stats(): OutboxRelayStats {
    return { ...this.counts };
  }

  /** Finishes the round under way, then stops; a second call waits for the first. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      this.resume?.();
      await this.running;
      await this.onStop();
    })();
    return this.stopping;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      this.woken = false;
      let round: RelayRound;
      try {
        round = await this.round();
      } catch (error) {
        round = { sent: 0, error: error as Error, more: false, blocked: false };
      }
      this.counts.relayed += round.sent;
      if (round.error !== undefined) {
        this.counts.failures++;
        this.counts.lastError = round.error.message;
        failures++;
        await this.pause(backoffDelay(failures, { initialMs: this.settings.initialBackoffMs, maxMs: this.settings.maxBackoffMs, jitter: 0.5 }), false);
        continue;
      }
      failures = 0;
      this.counts.lastError = undefined;
      if (round.more) continue;
      await this.pause(round.blocked ? blockedRetryMs : this.settings.pollMs, true);
    }
  }

  /** Waits `delayMs`, or less if `wakeable` and woken (also by a wake that came during the round). */
  private pause(delayMs: number, wakeable: boolean): Promise<void> {
    if (this.stopped || (wakeable && this.woken)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(this.timer);
        this.resume = undefined;
        resolve();
      };
      this.timer = setTimeout(done, delayMs);
      this.resume = () => {
        if (wakeable || this.stopped) done();
      };
    });
  }
}
