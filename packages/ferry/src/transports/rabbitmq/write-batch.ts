/** The socket under an amqplib connection: what can hold writes back. */
export interface CorkableSocket {
  cork(): void;
  uncork(): void;
}

/**
 * Gathers what the connection sends in one event-loop turn into one socket write. amqplib writes
 * every frame on its own (a publish is three frames, from a `setImmediate` of its multiplexer):
 * at 64 calls in flight the socket's `writeBuffer` was the largest cost of the process (a CPU
 * profile of client and server in one process: 1.0 s of about 5 s busy; `writev` 0.4 s with
 * this). Throughput on the shared machine was too noisy to show a difference either way. The
 * socket is corked at the first send of a turn and uncorked after amqplib's multiplexer has run
 * (a `setImmediate` queued from a `nextTick`, so behind the multiplexer's own), and the kernel
 * gets one write for the whole burst.
 */
export class WriteBatch {
  private corked = false;

  constructor(private readonly socket: CorkableSocket | undefined) {}

  /** Called after each send: the first of a turn corks the socket until amqplib has written the turn's frames. */
  hold(): void {
    if (this.corked || this.socket === undefined) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(() =>
      setImmediate(() => {
        this.corked = false;
        this.socket!.uncork();
      }),
    );
  }
}
