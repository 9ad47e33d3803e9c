import { createHash, timingSafeEqual } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import net from "node:net";
import tls from "node:tls";
import { systemClock } from "../../core/clock.js";
import { defaultLazyConfirmMs, defaultMaxMessageBytes } from "../../core/defaults.js";
import { describeValue } from "../../core/describe-value.js";
import { ErrorCode, InvalidArgumentError } from "../../core/errors.js";
import { checkLogger, type Logger } from "../../core/logger.js";
import { Broker, type BrokerOptions } from "../broker.js";
import { BrokerSession, type SessionHost } from "./broker-session.js";
import { hangUp } from "./hang-up.js";
import { encodeFrame, Op } from "../protocol/protocol.js";
import { frameOverheadBytes } from "../protocol/frame-limits.js";
import { defaultBrokerHost, defaultBrokerPort } from "./broker-address.js";
import { defaultMaxHeldReplies, defaultMaxHeldReplyBytes, ReplyQueueRegistry } from "./reply-queue-registry.js";
import { defaultFsync, type FsyncPolicy } from "../storage/fsync-policy.js";
import { BrokerStorage } from "../storage/broker-storage.js";

export interface BrokerServerOptions extends BrokerOptions {
  /** Default 7400 (`defaultBrokerPort`); 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1 (`defaultBrokerHost`). Any other address requires a `token`. */
  host?: string;
  /** Shared secret every connection must present first. Default: none (loopback only). */
  token?: string;
  /** PEM certificate and key: serve TLS instead of plain TCP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Serve this broker (e.g. one the application also uses in-process). Default: a new one. */
  broker?: Broker;
  /** Default 1,024 (`defaultMaxConnections`). Connections beyond it are refused with a `Fatal` frame. */
  maxConnections?: number;
  /** Largest frame accepted, bytes: the message size limit plus framing (`frameOverheadBytes`). Default 1 MiB + 4 KiB. */
  maxFrameBytes?: number;
  /** Bytes queued for a connection that is not reading before it is cut off. Default 8 MiB (`defaultMaxOutboundBytes`). */
  maxOutboundBytes?: number;
  /** Reply queues one connection may hold. Default 1,024 (`defaultMaxReplyQueuesPerConnection`). */
  maxReplyQueuesPerConnection?: number;
  /**
   * Longest a request's publish confirm waits to ride with the connection's next batch (its
   * replies, usually), ms. Failures are answered at once. Default 10 (`defaultLazyConfirmMs`).
   */
  lazyConfirmMs?: number;
  /**
   * Time a new connection has to authenticate (and, with `tls`, to finish its handshake), ms; and
   * the longest a refused or dropped connection is kept while its `Fatal` frame goes out. Default 5,000 (`defaultAuthTimeoutMs`).
   */
  authTimeoutMs?: number;
  /** A connection silent this long is closed (clients ping every 5 s), ms. Default 30,000 (`defaultIdleTimeoutMs`). */
  idleTimeoutMs?: number;
  /** How long a dropped connection's reply queues wait for it to come back, ms. Default 30,000 (`defaultReplyQueueGraceMs`). */
  replyQueueGraceMs?: number;
  /** Where connection and protocol-error lines go (never payloads). Default: stderr (or `logger`, when given). */
  log?: (line: string) => void;
  /** A pino-compatible logger (as `connect({ logger })` takes): each line goes to its `info`, with `{ component: "ferry-broker" }`. Default: none, `log`. */
  logger?: Logger;
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

/** Connections a broker serves at once: each holds a socket (a file descriptor), a write slab and its reply queues. */
export const defaultMaxConnections = 1024;

/**
 * Time a new connection has to authenticate, and the longest a refused socket is kept, ms. A
 * flood of connections that never authenticate holds up to this long's worth of sockets.
 */
export const defaultAuthTimeoutMs = 5_000;

/** A connection silent this long is closed, ms: a peer gone without a FIN holds its session this long. Clients ping every 5 s. */
export const defaultIdleTimeoutMs = 30_000;

/** How long a dropped client's reply queues, and the replies they hold, wait for it to reconnect, ms. */
export const defaultReplyQueueGraceMs = 30_000;

/** Bytes queued for a connection that does not read before it is cut off (`SLOW_CONSUMER`): memory a slow client can hold in the broker. */
export const defaultMaxOutboundBytes = 8 * 1024 * 1024;

/** Reply queues one connection may hold: bounds what one client can make the broker keep for it. */
export const defaultMaxReplyQueuesPerConnection = 1024;

const VERSION = "ferry-broker/1";

/** Starts the embedded broker as a TCP (or TLS) server other processes connect to. */
export async function startBroker(options: BrokerServerOptions = {}): Promise<RunningBroker> {
  const host = options.host ?? defaultBrokerHost;
  const listenPort = options.port ?? defaultBrokerPort;
  // Node would take a string as the path of a Unix socket, and refuse a bad number with a RangeError.
  if (!Number.isInteger(listenPort) || listenPort < 0 || listenPort > 65535) {
    throw new InvalidArgumentError(`port must be a whole number from 0 to 65535, got ${describeValue(listenPort)}`);
  }
  if (!isLoopback(host) && options.token === undefined) {
    throw new InvalidArgumentError(`refusing to listen on ${host} without a token: only loopback addresses may go unauthenticated`);
  }
  const ownsBroker = options.broker === undefined;
  const logger = options.logger === undefined ? undefined : checkLogger(options.logger, "startBroker");
  const log =
    options.log ?? (logger === undefined ? (line: string) => process.stderr.write(`${new Date().toISOString()} ferry-broker ${line}\n`) : (line: string) => logger.info({ component: "ferry-broker" }, line));
  const storage =
    options.dataDir === undefined
      ? undefined
      : new BrokerStorage({ dataDir: options.dataDir, fsync: options.fsync ?? defaultFsync, report: log }, options.maxMessageBytes ?? defaultMaxMessageBytes);
  const broker = options.broker ?? new Broker({ ...options, ...(storage === undefined ? {} : { storage }) });
  const clock = options.clock ?? systemClock;
  const maxConnections = options.maxConnections ?? defaultMaxConnections;
  const authTimeoutMs = options.authTimeoutMs ?? defaultAuthTimeoutMs;
  const expectedToken = options.token === undefined ? undefined : digest(options.token);
  const sessions = new Set<BrokerSession>();
  let nextSession = 0;

  const sessionHost: SessionHost = {
    broker,
    replyQueues: new ReplyQueueRegistry(broker, clock, options.replyQueueGraceMs ?? defaultReplyQueueGraceMs, defaultMaxHeldReplies, defaultMaxHeldReplyBytes),
    maxFrameBytes: options.maxFrameBytes ?? broker.maxMessageBytes + frameOverheadBytes,
    maxOutboundBytes: options.maxOutboundBytes ?? defaultMaxOutboundBytes,
    maxReplyQueuesPerConnection: options.maxReplyQueuesPerConnection ?? defaultMaxReplyQueuesPerConnection,
    lazyConfirmMs: options.lazyConfirmMs ?? defaultLazyConfirmMs,
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
      hangUp(socket, authTimeoutMs, encodeFrame([Op.Fatal, { code: ErrorCode.Unavailable, message: `the broker has ${maxConnections} connections, its limit`, retryable: true }]));
      return;
    }
    sessions.add(new BrokerSession(id, socket, sessionHost, authTimeoutMs, options.idleTimeoutMs ?? defaultIdleTimeoutMs));
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
    server.listen(listenPort, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  log(`listening on ${host}:${port}${options.tls ? " (tls)" : ""}${options.token ? " with token auth" : ""}${options.dataDir ? ` with data in ${options.dataDir} (fsync ${options.fsync ?? defaultFsync})` : ""}`);

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

