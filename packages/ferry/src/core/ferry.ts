import { isMethodDefinition, wrongCallArguments } from "./call-arguments.js";
import { RpcClient, type CallOptions, type ClientOptions, type ClientStats, type EmitOptions } from "./client.js";
import type { MethodDefinition, ServiceDefinition, ServiceHandlers } from "./definition.js";
import { createRuntimeContainer, FERRY, IDEMPOTENCY_STORE, resolveProvider, TRANSPORT, type DependencyContainer, type Provider } from "./di.js";
import { describeValue } from "./describe-value.js";
import { asFerryError, ClosedError, InvalidArgumentError } from "./errors.js";
import { MemoryIdempotencyStore, type IdempotencyStore } from "./idempotency.js";
import type { FerryCaller, ServedService, ServiceHost } from "./ferry-ports.js";
import type { OutboxRelay, OutboxRelayOptions, RelaySource } from "./outbox/outbox.js";
import { RpcServer, type ServeOptions, type ServerStats } from "./server.js";
import type { BrokerStats, Transport } from "./transport.js";

export interface FerryOptions extends ClientOptions {
  /**
   * Parent of the runtime's own container: register your handlers' dependencies (and, under
   * `IDEMPOTENCY_STORE`, a shared store) here. Default: a child of tsyringe's global container,
   * which Ferry never writes to.
   */
  container?: DependencyContainer;
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
export class Ferry implements FerryCaller, ServiceHost {
  readonly container: DependencyContainer;
  private readonly client: RpcClient;
  private readonly servers = new Map<string, RpcServer>();
  private readonly store: IdempotencyStore;
  private readonly relays = new Set<OutboxRelay>();
  private closing: Promise<void> | undefined;

  constructor(
    readonly transport: Transport,
    private readonly options: FerryOptions = {},
  ) {
    this.container = createRuntimeContainer(options.container);
    this.container.register(FERRY, { useValue: this });
    this.container.register(TRANSPORT, { useValue: transport });
    this.store = this.container.isRegistered(IDEMPOTENCY_STORE, true)
      ? this.container.resolve(IDEMPOTENCY_STORE)
      : new MemoryIdempotencyStore(options.clock === undefined ? {} : { clock: options.clock });
    this.client = new RpcClient(transport, options);
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
    });
    this.servers.set(name, server);
    try {
      await server.start();
    } catch (error) {
      this.servers.delete(name);
      await server.close();
      throw asFerryError(error, `serving ${definition.name}`);
    }
    return server;
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

  /** Drains every server, rejects calls still pending with `CLOSED`, then disconnects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.servers.values()].map((server) => server.close()));
      await Promise.all([...this.relays].map((relay) => relay.stop()));
      await this.client.close();
      await this.transport.close();
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
