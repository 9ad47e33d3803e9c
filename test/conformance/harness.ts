import { Ferry, type FerryOptions } from "../../packages/ferry/src/core/ferry.js";
import type { Transport } from "../../packages/ferry/src/core/transport.js";
import { fakeClock, type FakeClock } from "../support/fake-clock.js";

/** A broker under test: every connection it hands out talks to the same broker. */
export interface ConformanceBroker {
  /** A new connection (client, server and test each get their own, as separate processes would). */
  connect(): Promise<Transport>;
  close(): Promise<void>;
}

/** How the suite reaches one transport. */
export interface ConformanceTarget {
  name: string;
  /** Starts a fresh broker for one test. `clock` drives its timers where the broker runs in this process. */
  start(clock: FakeClock): Promise<ConformanceBroker>;
  /**
   * Tests this transport cannot pass, by exact title, each with the reason: a transport says by
   * name what it does not do, and everything else still runs.
   */
  skip?: Readonly<Record<string, string>>;
}

/** Per-test state: a fake clock, a broker, and every runtime and connection opened, closed afterwards. */
export class Harness {
  readonly clock: FakeClock = fakeClock();
  private broker: ConformanceBroker | undefined;
  private readonly opened: { close(): Promise<void> }[] = [];

  constructor(private readonly target: ConformanceTarget) {}

  async start(): Promise<void> {
    this.broker = await this.target.start(this.clock);
    // A broker in another process runs on real time: start the test's clock at real "now", so
    // deadlines the clients compute are not already past when the broker sees them.
    this.clock.setNow(Date.now());
  }

  /** A started runtime on its own connection, on the harness clock. */
  async runtime(options: FerryOptions = {}, wrap: (transport: Transport) => Transport = (transport) => transport): Promise<Ferry> {
    const ferry = new Ferry(wrap(await this.transport()), { clock: this.clock, ...options });
    await ferry.start();
    this.opened.push(ferry);
    return ferry;
  }

  /** A raw connection, for tests that act as a misbehaving peer or inspect topics. */
  async transport(): Promise<Transport> {
    const transport = await this.broker!.connect();
    this.opened.push(transport);
    return transport;
  }

  async stop(): Promise<void> {
    for (const item of this.opened.reverse()) await item.close();
    this.opened.length = 0;
    await this.broker?.close();
  }
}

/** Registers beforeEach/afterEach for a harness and returns an accessor for the current one. */
export function useHarness(target: ConformanceTarget): () => Harness {
  let harness: Harness | undefined;
  beforeEach(async function () {
    const title = this.currentTest?.title;
    if (title !== undefined && target.skip !== undefined && Object.hasOwn(target.skip, title)) return this.skip();
    harness = new Harness(target);
    await harness.start();
  });
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });
  return () => harness!;
}
