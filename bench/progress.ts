// The progress line on stderr: which cell runs, how far the run is, about how long is left.
const clock = (seconds: number) => `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, "0")}`;

export class Progress {
  private done = 0;
  private readonly started = performance.now();
  private readonly live = process.stderr.isTTY === true;

  constructor(
    private readonly totalCells: number,
    private readonly estimatedSeconds: number,
  ) {}

  private prefix(): string {
    const elapsed = (performance.now() - this.started) / 1000;
    const left = Math.max(0, this.estimatedSeconds - elapsed);
    return `[${String(this.done).padStart(String(this.totalCells).length)}/${this.totalCells} ${clock(elapsed)}, ~${clock(left)} left]`;
  }

  /** A cell starts: on a terminal the line is overwritten by its result. */
  start(label: string): void {
    if (this.live) process.stderr.write(`\r\x1b[K${this.prefix()} ${label} ...`);
  }

  finish(label: string, outcome: string): void {
    this.done++;
    process.stderr.write(`${this.live ? "\r\x1b[K" : ""}${this.prefix()} ${label}: ${outcome}\n`);
  }

  note(line: string): void {
    process.stderr.write(`${this.live ? "\r\x1b[K" : ""}${line}\n`);
  }
}
