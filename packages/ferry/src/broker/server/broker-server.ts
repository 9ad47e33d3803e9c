import { createHash, timingSafeEqual } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import net from "node:net";
import tls from "node:tls";
import { systemClock } from "../../core/clock.js";
import { InvalidArgumentError } from "../../core/errors.js";
import { Broker, type BrokerOptions } from "../broker.js";
import { BrokerSession, type SessionHost } from "./broker-session.js";
import { hangUp } from "./hang-up.js";
import { encodeFrame, Op } from "../protocol/protocol.js";
import { ReplyQueueRegistry } from "./reply-queue-registry.js";
import type { FsyncPolicy } from "../storage/append-file.js";
import { BrokerStorage } from "../storage/broker-storage.js";

export interface BrokerServerOptions extends BrokerOptions {
  /** Default 7400; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. Any other address requires a `token`. */
  host?: string;
  /** Shared secret every connection must present first. Default: none (loopback only). */
  token?: string;
  /** PEM certificate and key: serve TLS instead of plain TCP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Serve this broker (e.g. one the application also uses in-process). Default: a new one. */
  broker?: Broker;
  /** Default 1,024. Connections beyond it are refused with a `Fatal` frame. */
  maxConnections?: number;
  /** Largest frame accepted, bytes: the message size limit plus framing. Default 1 MiB + 4 KiB. */
  maxFrameBytes?: number;
  /** Bytes queued for a connection that is not reading before it is cut off. Default 8 MiB. */
  maxOutboundBytes?: number;
  /** Reply queues one connection may hold. Default 1,024. */
  maxReplyQueuesPerConnection?: number;
  /**
   * Longest a request's publish confirm waits to ride with the connection's next batch (its
   * replies, usually), ms. Failures are answered at once. Default 10.
   */
  lazyConfirmMs?: number;
  /**
   * Time a new connection has to authenticate (and, with `tls`, to finish its handshake), ms; and
   * the longest a refused or dropped connection is kept while its `Fatal` frame goes out. Default 5,000.
   */
  authTimeoutMs?: number;
  /** A connection silent this long is closed (clients ping every 5 s), ms. Default 30,000. */
  idleTimeoutMs?: number;
  /** How long a dropped connection's reply queues wait for it to come back, ms. Default 30,000. */
  replyQueueGraceMs?: number;
  /** Where connection and protocol-error lines go (never payloads). Default: stderr. */
  log?: (line: string) => void;
  /** Directory for durable topics (segments, acks). Default: none, everything in memory. */
  dataDir?: string;
  /** With `dataDir`: `always` (default; confirm after fsync, one per batch), `interval` (every 100 ms) or `never`. */
  fsync?: FsyncPolicy;
}

export interface RunningBroker {
  readonly broker: Broker;
  readonly host: string;
  readonly port: number;
  /** `ferry://host:port`, for `connect({ url })`. */
  readonly url: string;
  readonly connections: number;
  /**
   * Sockets the server holds open, each a file descriptor: its connections, and refused or
   * dropped ones still closing (for at most `authTimeoutMs`).
   */
  readonly sockets: number;
  /** Closes every connection and stops listening; the broker itself closes too unless it was given. */
  close(): Promise<void>;
}

const VERSION = "ferry-broker/1";

/** Starts the embedded broker as a TCP (or TLS) server other processes connect to. */
export async function startBroker(options: BrokerServerOptions = {}): Promise<RunningBroker> {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopback(host) && options.token === undefined) {
    throw new InvalidArgumentError(`refusing to listen on ${host} without a token: only loopback addresses may go unauthenticated`);
  }
  const ownsBroker = options.broker === undefined;
  const log = options.log ?? ((line: string) => process.stderr.write(`${new Date().toISOString()} ferry-broker ${line}\n`));
  const storage =
    options.dataDir === undefined
      ? undefined
      : new BrokerStorage({ dataDir: options.dataDir, fsync: options.fsync ?? "always", report: log }, options.maxMessageBytes ?? 1024 * 1024);
  const broker = options.broker ?? new Broker({ ...options, ...(storage === undefined ? {} : { storage }) });
  const clock = options.clock ?? systemClock;
  const maxConnections = options.maxConnections ?? 1024;
  const authTimeoutMs = options.authTimeoutMs ?? 5_000;
  const expectedToken = options.token === undefined ? undefined : digest(options.token);
  const sessions = new Set<BrokerSession>();
  let nextSession = 0;

  const sessionHost: SessionHost = {
    broker,
    replyQueues: new ReplyQueueRegistry(broker, clock, options.replyQueueGraceMs ?? 30_000, 10_000, 8 * 1024 * 1024),
    maxFrameBytes: options.maxFrameBytes ?? broker.maxMessageBytes + 4096,
    maxOutboundBytes: options.maxOutboundBytes ?? 8 * 1024 * 1024,
    maxReplyQueuesPerConnection: options.maxReplyQueuesPerConnection ?? 1024,
    lazyConfirmMs: options.lazyConfirmMs ?? 10,
    version: VERSION,
    // Compared as digests in constant time, so neither content nor length leaks through timing.
    authenticate: (token) => expectedToken === undefined || (token !== null && timingSafeEqual(digest(token), expectedToken)),
    log,
    closed: (session) => sessions.delete(session),
  };

  const onConnection = (socket: net.Socket) => {
    const id = ++nextSession;
    log(`connection ${id} opened from ${socket.remoteAddress}:${socket.remotePort}`);
    if (sessions.size >= maxConnections) {
      log(`connection ${id} refused: ${maxConnections} connections open`);
      hangUp(socket, authTimeoutMs, encodeFrame([Op.Fatal, { code: "UNAVAILABLE", message: `the broker has ${maxConnections} connections, its limit`, retryable: true }]));
      return;
    }
    sessions.add(new BrokerSession(id, socket, sessionHost, authTimeoutMs, options.idleTimeoutMs ?? 30_000));
  };
  const server =
    options.tls === undefined
      ? net.createServer(onConnection)
      : // A peer that never finishes its handshake is dropped by the same deadline as one that never authenticates.
        tls.createServer({ cert: options.tls.cert, key: options.tls.key, handshakeTimeout: authTimeoutMs }, onConnection);
  // Node reports a failed or timed-out TLS handshake but leaves the socket open: it is dropped here.
  server.on("tlsClientError", (error: Error, socket: tls.TLSSocket) => {
    log(`connection refused: TLS handshake failed: ${error.message}`);
    socket.destroy();
  });
  // Every accepted socket, TLS or not, whether it became a session or not: what `close` must not wait for.
  const sockets = new Set<net.Socket>();
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 7400, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  log(`listening on ${host}:${port}${options.tls ? " (tls)" : ""}${options.token ? " with token auth" : ""}${options.dataDir ? ` with data in ${options.dataDir} (fsync ${options.fsync ?? "always"})` : ""}`);

  return {
    broker,
    host,
    port,
    url: `ferry://${host.includes(":") ? `[${host}]` : host}:${port}`,
    get connections() {
      return sessions.size;
    },
    get sockets() {
      return sockets.size;
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of [...sessions]) session.close("broker shutting down");
      for (const socket of sockets) socket.destroy();
      sessionHost.replyQueues.closeAll();
      await closed;
      if (ownsBroker) await broker.shutdown();
    },
  };
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIPv4(host)) return host.startsWith("127.");
  if (isIPv6(host)) return host === "::1";
  return false;
}

