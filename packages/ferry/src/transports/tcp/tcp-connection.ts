import net from "node:net";
import tls from "node:tls";
import { BehaviorSubject } from "rxjs";
import { backoffDelay } from "../../core/backoff.js";
import { LiveTable } from "../../core/live-table.js";
import { ClosedError, ErrorCode, FerryError, MalformedMessageError, UnavailableError, UnconfirmedError } from "../../core/errors.js";
import { fromWireError, readWireError } from "../../core/wire/wire-error.js";
import type { ConnectionState } from "../../core/transport.js";
import { FrameDecoder } from "../../broker/protocol/frame-decoder.js";
import { FrameWriter } from "../../broker/protocol/frame-writer.js";
import { decodeFrame, Op, type ClientFrame, type DeliveryFrame, type Frame, type ReplyMessageFrame } from "../../broker/protocol/protocol.js";

export interface TcpConnectionOptions {
  host: string;
  port: number;
  token: string | undefined;
  /** TLS options (e.g. `ca`) when connecting to a TLS broker. */
  tls: tls.ConnectionOptions | undefined;
  maxFrameBytes: number;
  /** A ping goes out this often; a connection silent for 3 intervals is considered dead, ms. */
  heartbeatMs: number;
  /** How long a connect may wait for the broker's Welcome, ms. */
  handshakeTimeoutMs: number;
  /** Backoff between reconnect attempts. */
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  /** Frames that are not answers to requests: deliveries and replies. */
  onPush(frame: DeliveryFrame | ReplyMessageFrame): void;
  /** A new session is up after a reconnect: restore subscriptions and reply queues. */
  onReconnected(): Promise<void>;
}

interface PendingRequest {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

const ignoreResult = (): void => undefined;

/**
 * A client's link to the TCP broker: one socket at a time, request/answer correlation, heartbeats,
 * and reconnection with backoff. Requests in flight when the link drops fail with `UNAVAILABLE`
 * (retryable), so calls retry with their idempotency key. A broker that refuses the client
 * (bad token) ends the connection for good: no reconnect loop.
 */
export class TcpConnection {
  readonly state = new BehaviorSubject<ConnectionState>("reconnecting");
  /** Bumped on every new session; deliveries remember theirs, so stale acks are dropped. */
  generation = 0;
  private socket: net.Socket | undefined;
  private writer: FrameWriter | undefined;
  private readonly pending = new LiveTable<PendingRequest>();
  private nextRequest = 0;
  /** No request below this id is pending (the broker answered or confirmed each of them). */
  private lowestPending = 1;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastHeard = 0;
  private reconnectAttempt = 0;
  private reconnectPending = false;
  private closed = false;
  /** Why the broker is closing the live socket, from its `Fatal` frame: said to the requests the drop fails. */
  private fatal: FerryError | undefined;

  constructor(private readonly options: TcpConnectionOptions) {}

  /** Connects and authenticates; rejects if the broker is unreachable or refuses. */
  async open(): Promise<void> {
    await this.connectOnce();
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Sends a request frame built around its id; resolves with the broker's result. */
  request(build: (requestId: number) => ClientFrame): Promise<unknown> {
    return new Promise((resolve, reject) => this.requestWith(build, { resolve, reject }));
  }

  /** Like `request`, for a caller that only needs a failure: no promise, `failed` gets it (never synchronously). */
  requestFailuresOnly(build: (requestId: number) => ClientFrame, failed: (error: Error) => void): void {
    this.requestWith(build, { resolve: ignoreResult, reject: failed });
  }

  private requestWith(build: (requestId: number) => ClientFrame, answer: PendingRequest): void {
    if (this.closed) return process.nextTick(answer.reject, new ClosedError("the connection is closed"));
    if (this.writer === undefined) return process.nextTick(answer.reject, new UnavailableError("the broker connection is down (reconnecting)"));
    const requestId = ++this.nextRequest;
    this.pending.set(requestId, answer);
    this.writer.send(build(requestId));
  }

  /** Sends a frame that needs no answer; dropped while disconnected. */
  send(frame: ClientFrame): void {
    this.writer?.send(frame);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.writer?.flush();
    this.socket?.end();
    this.failPending(new ClosedError("the connection is closed"));
    this.state.next("closed");
    this.state.complete();
  }

  private connectOnce(): Promise<void> {
    const { host, port } = this.options;
    return new Promise((resolve, reject) => {
      const socket = this.options.tls === undefined ? net.connect({ host, port }) : tls.connect({ host, port, ...this.options.tls });
      const decoder = new FrameDecoder(this.options.maxFrameBytes);
      const writer = new FrameWriter(socket);
      let welcomed = false;
      // A broker that accepts but never answers (stopped, or not a Ferry broker) must not hang us.
      const handshake = setTimeout(() => {
        socket.destroy();
        reject(new UnavailableError(`no answer from the broker at ${host}:${port} within ${this.options.handshakeTimeoutMs} ms`));
      }, this.options.handshakeTimeoutMs);
      socket.setNoDelay(true);
      socket.on(this.options.tls === undefined ? "connect" : "secureConnect", () => writer.send([Op.Hello, this.options.token ?? null, `pid-${process.pid}`]));
      socket.on("data", (chunk: Buffer) => {
        this.lastHeard = Date.now();
        let frames: Buffer[];
        try {
          frames = decoder.push(chunk);
        } catch {
          socket.destroy();
          return;
        }
        for (const bytes of frames) {
          let frame: Frame;
          try {
            frame = decodeFrame(bytes, this.options.maxFrameBytes);
          } catch {
            socket.destroy();
            return;
          }
          if (!welcomed) {
            if (frame[0] === Op.Welcome) {
              welcomed = true;
              clearTimeout(handshake);
              if (!this.attach(socket, writer)) return reject(new ClosedError("the connection is closed"));
              resolve();
            } else if (frame[0] === Op.Fatal) {
              clearTimeout(handshake);
              const error = brokerError(frame[1], `the broker at ${host}:${port} refused the connection: `);
              // A refusal of this client (a bad token) ends it; a retryable one (the broker is at
              // maxConnections) only fails this attempt, and reconnection goes on with backoff.
              if (!error.retryable) this.refused(error);
              reject(error);
            }
            continue;
          }
          this.onFrame(frame);
        }
      });
      socket.on("error", (error) => {
        clearTimeout(handshake);
        if (!welcomed) reject(new UnavailableError(`cannot reach the broker at ${host}:${port}: ${error.message}`, { cause: error }));
      });
      socket.on("close", () => {
        clearTimeout(handshake);
        if (welcomed) this.dropped(socket);
        else reject(new UnavailableError(`the broker at ${host}:${port} closed the connection during the handshake`));
      });
    });
  }

  /** Makes `socket` the live link; false (and the socket is dropped) if we closed meanwhile. */
  private attach(socket: net.Socket, writer: FrameWriter): boolean {
    if (this.closed) {
      socket.destroy();
      return false;
    }
    this.socket = socket;
    this.writer = writer;
    this.generation++;
    this.reconnectAttempt = 0;
    this.lastHeard = Date.now();
    this.state.next("connected");
    return true;
  }

  private onFrame(frame: Frame): void {
    switch (frame[0]) {
      case Op.Ok:
        return this.settle(frame[1], (request) => request.resolve(frame[2]));
      case Op.Error:
        return this.settle(frame[1], (request) => request.reject(brokerError(frame[2])));
      case Op.Confirmed:
        return this.confirmThrough(frame[1]);
      case Op.Fatal: {
        // The broker closes the socket next; a refusal of the client itself ends reconnection.
        const { host, port } = this.options;
        this.fatal = brokerError(frame[1]);
        if (this.fatal.code === ErrorCode.Unauthenticated) this.refused(brokerError(frame[1], `the broker at ${host}:${port} closed the connection: `));
        return;
      }
      case Op.Delivery:
      case Op.ReplyMessage:
        return this.options.onPush(frame);
      default:
        // A Pong only shows the link is alive (any frame does); a second Welcome, or a frame
        // meant for the broker, asks nothing of a client.
        return;
    }
  }

  private settle(requestId: number, settle: (request: PendingRequest) => void): void {
    const request = this.pending.take(requestId);
    if (request !== undefined) settle(request);
  }

  /** Every request up to `requestId` that the broker did not answer on its own succeeded. */
  private confirmThrough(requestId: number): void {
    const through = Math.min(requestId, this.nextRequest);
    for (let id = this.lowestPending; id <= through; id++) this.pending.take(id)?.resolve(null);
    this.lowestPending = Math.max(this.lowestPending, through + 1);
  }

  private beat(): void {
    if (this.socket === undefined) return;
    if (Date.now() - this.lastHeard > 3 * this.options.heartbeatMs) {
      this.socket.destroy(); // silent broker: treat as dropped
      return;
    }
    this.send([Op.Ping]);
  }

  /** The broker said no (bad token): stop for good. */
  private refused(error: FerryError): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    this.failPending(error);
    this.state.next("closed");
  }

  private dropped(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    this.writer = undefined;
    const fatal = this.fatal;
    this.fatal = undefined;
    if (fatal === undefined) this.failPending(new UnconfirmedError("the broker connection dropped before it answered"));
    else {
      // A Fatal frame said why (a slow consumer cut off, an idle timeout, ...): name it, as the cause too.
      const { host, port } = this.options;
      this.failPending(new UnconfirmedError(`the broker at ${host}:${port} closed the connection before it answered: ${fatal.code}: ${fatal.message}`, { cause: fatal }));
    }
    if (this.closed) return;
    this.state.next("reconnecting");
    this.scheduleReconnect();
  }

  /** One reconnect loop at a time: a drop during a restore and the restore's failure both land here. */
  private scheduleReconnect(): void {
    if (this.reconnectPending || this.closed) return;
    this.reconnectPending = true;
    const delayMs = backoffDelay(++this.reconnectAttempt, { initialMs: this.options.reconnectInitialMs, maxMs: this.options.reconnectMaxMs });
    // Not unref'd: a client waiting on calls must stay alive while it reconnects.
    setTimeout(async () => {
      this.reconnectPending = false;
      if (this.closed) return;
      try {
        await this.connectOnce();
        await this.options.onReconnected();
      } catch {
        if (this.socket === undefined) this.scheduleReconnect();
      }
    }, delayMs);
  }

  private failPending(error: Error): void {
    const pending = this.pending.values();
    this.pending.clear();
    this.lowestPending = this.nextRequest + 1;
    for (const request of pending) request.reject(error);
  }
}

/**
 * The typed error a broker's `Error` or `Fatal` frame carries, with `prefix` before its message;
 * a map that is not a wire error becomes a `MalformedMessageError` saying so.
 */
function brokerError(value: unknown, prefix = ""): FerryError {
  try {
    const wire = readWireError(value, (field, expected) => new MalformedMessageError(`the broker sent an error whose ${field} is not ${expected}`));
    // Without registered classes, every error rebuilt is a FerryError.
    return fromWireError({ ...wire, message: prefix + wire.message }) as FerryError;
  } catch (error) {
    return error as FerryError;
  }
}
