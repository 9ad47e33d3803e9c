import { isMethodDefinition, wrongCallArguments } from "./call-arguments.js";
import { RpcClient, type CallOptions, type ClientOptions, type ClientStats, type EmitOptions } from "./client.js";
import type { MethodDefinition, ServiceDefinition, ServiceHandlers, StreamMethodDefinition } from "./definition.js";
import type { FerryStream, StreamOptions } from "./stream/ferry-stream.js";
import { createRuntimeContainer, FERRY, IDEMPOTENCY_STORE, resolveProvider, TRANSPORT, type DependencyContainer, type Provider } from "./di.js";
import { describeValue } from "./describe-value.js";
import { DeadLetterQueue } from "./dead-letter-queue.js";
import { asFerryError, ClosedError, InvalidArgumentError } from "./errors.js";
import { MemoryIdempotencyStore, type IdempotencyStore } from "./idempotency.js";
import type { FerryCaller, FerryStreamer, ServedService, ServiceHost } from "./ferry-ports.js";
import type { OutboxRelay, OutboxRelayOptions, RelaySource } from "./outbox/outbox.js";
import { RpcServer } from "./server.js";
import type { ServeOptions, ServerStats } from "./serve-options.js";
import { checkLogger, type Logger } from "./logger.js";
import { checkInterceptors } from "./interceptors.js";
import { logConnectionStates, loggingObserver } from "./runtime-log.js";
import { combineObservers, type ServerObserver } from "./server-observer.js";
import type { RuntimeTelemetry } from "./telemetry/load-telemetry.js";
import type { Subscription as RxSubscription } from "rxjs";
import type { BrokerStats, Transport } from "./transport.js";
import { systemClock } from "./clock.js";
import { listServices, pingService } from "./registry/discover.js";
import { RegistryResponder } from "./registry/registry-responder.js";
import type { DiscoveryOptions, PingReply, ServiceInfo } from "./registry/service-info.js";

export interface FerryOptions extends ClientOptions {
  /**
   * Parent of the runtime's own container: register your handlers' dependencies (and, under
   * `IDEMPOTENCY_STORE`, a shared store) here. Default: a child of tsyringe's global container,
   * which Ferry never writes to.
   */
  container?: DependencyContainer;
  /**
   * Where the runtime logs connection state changes, redeliveries, dead letters and refused input
   * (never payloads): a pino-compatible logger (`error`, `warn`, `info`, `debug`, each
   * `(facts, message)`). Default: `silentLogger`, nothing is logged; `consoleLogger` writes
   * warnings and errors to stderr.
   */
  logger?: Logger;
  /**
   * OpenTelemetry spans and metrics, through `@opentelemetry/api`, when it is installed and the
   * application registered a TracerProvider or MeterProvider before `connect`. Default true;
   * `false` turns them off (the API is then not even loaded).
   */
  telemetry?: boolean;
}

export interface FerryStats {
  broker: BrokerStats;
  client: ClientStats;
  servers: Record<string, ServerStats>;
}

/**
 * A connection to a broker with everything on top: the client that makes calls and the servers
 * that answer them. Made by `connect()`; `close()` drains servers before disconnecting.
 */
export class Ferry implements FerryCaller, FerryStreamer, ServiceHost {
  readonly container: DependencyContainer;
  private readonly client: RpcClient;
  private readonly servers = new Map<string, RpcServer>();
  private readonly store: IdempotencyStore;
  private readonly observer: ServerObserver | undefined;
  private readonly stateLog: RxSubscription | undefined;
  /** Answers `ferry services` and `ferry ping` for the services this runtime serves. */
  private readonly registry: RegistryResponder;
  private readonly relays = new Set<OutboxRelay>();
  private closing: Promise<void> | undefined;

  constructor(
    readonly transport: Transport,
    private readonly options: FerryOptions = {},
    /** The built-in telemetry `connect` loaded, if any. */
    private readonly telemetry?: RuntimeTelemetry,
  ) {
    const logger = checkLogger(options.logger, "connect");
    this.container = createRuntimeContainer(options.container);
    this.container.register(FERRY, { useValue: this });
    this.container.register(TRANSPORT, { useValue: transport });
    this.store = this.container.isRegistered(IDEMPOTENCY_STORE, true)
      ? this.container.resolve(IDEMPOTENCY_STORE)
      : new MemoryIdempotencyStore(options.clock === undefined ? {} : { clock: options.clock });
    // Checked before the built-in one joins them: a wrong value is refused as such, whatever telemetry does.
    const interceptors = checkInterceptors(options.interceptors, "connect");
    this.client = new RpcClient(transport, telemetry === undefined ? options : { ...options, interceptors: [telemetry.client, ...interceptors] });
    this.observer = combineObservers([options.logger === undefined ? undefined : loggingObserver(logger), telemetry?.observer]);
    this.stateLog = options.logger === undefined ? undefined : logConnectionStates(transport, logger);
    this.registry = new RegistryResponder(transport, options.clock ?? systemClock);
  }

  async start(): Promise<void> {
    await this.client.start();
  }

  /** Calls a method of a definition, typed by it. Generated clients use this. */
  call<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, options?: CallOptions): Promise<Res>;
  /** The untyped path: calls `service.method` by name, with no method defaults or validation. */
  call(service: string, method: string, request: unknown, options?: CallOptions): Promise<unknown>;
  call(target: MethodDefinition<unknown, unknown> | string, ...rest: unknown[]): Promise<unknown> {
    if (isMethodDefinition(target)) return this.client.call(target, rest[0], rest[1] as CallOptions | undefined);
    if (typeof target === "string" && target !== "" && typeof rest[0] === "string" && rest[0] !== "") {
      const method: MethodDefinition = { service: target, name: rest[0], kind: "call" };
      return this.client.call(method, rest[1], rest[2] as CallOptions | undefined);
    }
    // Plain JavaScript (or a cast) passed something else: say what, instead of calling svc.undefined.
    return Promise.reject(wrongCallArguments(target, rest));
  }

  /** Calls a stream method: each `for await` over the result makes one call and iterates its items (README "Streaming replies"). */
  stream<Req, Item>(method: StreamMethodDefinition<Req, Item>, request: Req, options?: StreamOptions): FerryStream<Item> {
    return this.client.stream(method, request, options);
  }

  /** Fire-and-forget: resolves once the broker has confirmed the event. */
  emit<Req>(method: MethodDefinition<Req, void>, payload: Req, options?: EmitOptions): Promise<void> {
    return this.client.emit(method, payload, options);
  }

  /**
   * Serves `definition` with `implementation`: an object, `{ useClass }` (built by the runtime's
   * container, so it may `@inject(FERRY)` or your own tokens) or `{ useFactory }`.
   */
  async serve<D extends ServiceDefinition>(definition: D, implementation: Provider<ServiceHandlers<D>>, options: ServeOptions = {}): Promise<ServedService> {
    if (this.closing !== undefined) throw new ClosedError("this Ferry is closed");
    checkServiceDefinition(definition);
    const name = `${definition.name}#${options.group ?? definition.name}`;
    if (this.servers.has(name)) throw new InvalidArgumentError(`${definition.name} is already served by this runtime in group ${options.group ?? definition.name}`);
    const handlers = resolveProvider(this.container, implementation) as Record<string, (request: unknown, context: never) => unknown>;
    const server = new RpcServer(this.transport, definition, handlers, options.idempotencyStore ?? this.store, {
      ...(this.options.clock === undefined ? {} : { clock: this.options.clock }),
      ...(this.options.decodeLimits === undefined ? {} : { decodeLimits: this.options.decodeLimits }),
      ...options,
    }, { ...(this.telemetry === undefined ? {} : { interceptors: [this.telemetry.server] }), ...(this.observer === undefined ? {} : { observer: this.observer }) });
    this.servers.set(name, server);
    try {
      await server.start();
      // Listed from now on by `ferry services`: the runtime joins the discovery topic with its first service.
      await this.registry.add(server.record);
    } catch (error) {
      this.servers.delete(name);
      await server.close();
      throw asFerryError(error, `serving ${definition.name}`);
    }
    return server;
  }

  /** The dead letters of `service`, as a tool: list, show, replay and purge them (see `DeadLetterQueue`). */
  deadLetters(service: string): DeadLetterQueue {
    return new DeadLetterQueue(this.transport, service, this.options.clock === undefined ? {} : { clock: this.options.clock });
  }

  /**
   * Starts a relay that publishes `outbox`'s messages (a `PostgresOutbox`, a `FileOutbox`) on
   * this runtime's transport, until it is stopped or the runtime closes.
   */
  relayOutbox(outbox: RelaySource, options?: OutboxRelayOptions): OutboxRelay {
    if (this.closing !== undefined) throw new ClosedError("this Ferry is closed");
    if (typeof outbox?.startRelay !== "function") throw new InvalidArgumentError(`relayOutbox: expected an outbox (PostgresOutbox, FileOutbox), got ${describeValue(outbox)}`);
    const relay = outbox.startRelay(this.transport, options);
    this.relays.add(relay);
    return relay;
  }

  async stats(): Promise<FerryStats> {
    const servers: Record<string, ServerStats> = {};
    for (const [name, server] of this.servers) servers[name] = server.stats();
    let broker: BrokerStats;
    try {
      broker = await this.transport.stats();
    } catch (error) {
      throw asFerryError(error, "reading the broker's stats");
    }
    return { broker, client: this.client.stats(), servers };
  }

  /**
   * Every service served on this transport, with each instance (runtime) serving it: host, pid,
   * schema hash, start time, and per method its runs, errors, latency and last error. Collects
   * answers for `waitMs` (default 500), so it always takes that long; see "Observability" in README.
   */
  services(options?: DiscoveryOptions): Promise<ServiceInfo[]> {
    return listServices(this.transport, this.options.clock ?? systemClock, options);
  }

  /** Each instance serving `service` that answered within `waitMs` (default 500), with its round trip; empty when none did. */
  ping(service: string, options?: DiscoveryOptions): Promise<PingReply[]> {
    return pingService(this.transport, this.options.clock ?? systemClock, service, options);
  }

  /** Drains every server, rejects calls still pending with `CLOSED`, then disconnects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.servers.values()].map((server) => server.close()));
      await this.registry.close();
      await Promise.all([...this.relays].map((relay) => relay.stop()));
      await this.client.close();
      await this.transport.close();
      this.stateLog?.unsubscribe();
    })();
    return this.closing;
  }
}

/** `serve` from plain JavaScript may get anything: refuse what is not a service definition, saying what it is. */
function checkServiceDefinition(definition: unknown): asserts definition is ServiceDefinition {
  const service = definition as Partial<ServiceDefinition> | null;
  if (typeof service !== "object" || service === null || typeof service.name !== "string" || typeof service.methods !== "object" || service.methods === null) {
    throw new InvalidArgumentError(`serve: expected a service definition (from defineService or ferry codegen), got ${describeValue(definition)}`);
  }
}
