import { defaultBrokerHost, defaultBrokerPort, defaultBrokerUrl } from "../broker/server/broker-address.js";
import { defaultFsync } from "../broker/storage/fsync-policy.js";
import { defaultMetricsHost } from "../broker/metrics/metrics-host.js";
import { defaultOutboxBatch, defaultOutboxPollMs } from "../core/outbox/outbox.js";
import type { CommandSpec, ParsedCommandArgs } from "./command-spec.js";

/** Runs a parsed subcommand; resolves with the process exit code. */
export type CommandRun = (args: ParsedCommandArgs) => Promise<number>;

/**
 * Every subcommand: its spec (light, for parsing and help) and a loader for its code, so
 * `ferry codegen` does not load the broker and `ferry broker` does not load ts-morph.
 */
export interface CommandEntry {
  spec: CommandSpec;
  load: () => Promise<CommandRun>;
}

const urlFlag = {
  type: "string",
  valueName: "<url>",
  description: "the broker: ferry://host:port, ferrys://host:port (TLS) or nats://host:port; or FERRY_URL",
  defaultText: defaultBrokerUrl,
} as const;
const waitFlag = { type: "string", valueName: "<ms>", description: "how long to collect answers", defaultText: "500" } as const;
const tokenFlag = { type: "string", valueName: "<token>", description: "the broker's auth token; or FERRY_TOKEN" } as const;

export const commands: Readonly<Record<string, CommandEntry>> = {
  init: {
    spec: {
      name: "init",
      summary: "Scaffold a service project: a service interface, its generated code, a server, a client and a test.",
      positionals: { usage: "<dir>", min: 0, max: 1, description: "where to create it (default: the current directory); must be empty or absent" },
      flags: {
        name: { type: "string", valueName: "<name>", description: "the package name", defaultText: "the directory's name" },
      },
      notes: ["Then: cd <dir> && npm install && npm start && npm test"],
    },
    load: async () => (await import("./init-command.js")).initCommand,
  },
  codegen: {
    spec: {
      name: "codegen",
      summary: "Generate a typed client, handlers, validators and a definition for each service interface.",
      positionals: { usage: "<files|globs...>", min: 1, max: Infinity, description: "TypeScript files declaring services (quote globs: 'src/services/*.ts')" },
      flags: {
        out: { type: "string", short: "o", valueName: "<dir>", description: "where generated files go (required)" },
        check: { type: "boolean", description: "write nothing; exit 1 listing missing, stale and extra files (for CI)" },
        watch: { type: "boolean", description: "regenerate whenever an input changes, until Ctrl-C" },
        "runtime-import": { type: "string", valueName: "<specifier>", description: "the module generated code imports the runtime from", defaultText: "ferry" },
      },
      notes: ["Exit codes: 0 done (or up to date), 1 --check found differences, 2 bad arguments or inputs."],
    },
    load: async () => (await import("./codegen-launcher.js")).codegenLauncher,
  },
  broker: {
    spec: {
      name: "broker",
      summary: "Run the embedded broker as a TCP server that many processes share, until SIGINT or SIGTERM.",
      flags: {
        port: { type: "string", short: "p", valueName: "<port>", description: "TCP port; 0 picks a free one", defaultText: String(defaultBrokerPort) },
        host: { type: "string", valueName: "<host>", description: "address to listen on; a non-loopback address needs --token", defaultText: defaultBrokerHost },
        data: { type: "string", valueName: "<dir>", description: "keep durable topics in this directory (segments with a CRC per record)", defaultText: "none: memory only" },
        fsync: { type: "string", valueName: "always|interval|never", description: "when appends reach the disk; always confirms only after fsync (needs --data)", defaultText: defaultFsync },
        token: tokenFlag,
        "tls-cert": { type: "string", valueName: "<pem>", description: "serve ferrys:// with this certificate (with --tls-key)" },
        "tls-key": { type: "string", valueName: "<pem>", description: "the certificate's private key (with --tls-cert)" },
        "metrics-port": { type: "string", valueName: "<port>", description: "serve /metrics (Prometheus text), /healthz and /readyz over HTTP on this port", defaultText: "none" },
        "metrics-host": { type: "string", valueName: "<host>", description: "address of the metrics endpoint (with --metrics-port)", defaultText: defaultMetricsHost },
      },
      notes: ["Environment: FERRY_TOKEN sets --token.", "--metrics-port needs @opentelemetry/api, @opentelemetry/sdk-metrics and @opentelemetry/exporter-prometheus installed."],
    },
    load: async () => (await import("./broker-command.js")).brokerCommand,
  },
  stats: {
    spec: {
      name: "stats",
      summary: "Show what a broker holds: depth, lag, in flight, redeliveries, dead letters and expiries per topic, partition and group.",
      flags: {
        url: urlFlag,
        token: tokenFlag,
        json: { type: "boolean", description: "print the stats as JSON" },
        topics: { type: "string", valueName: "<a,b>", description: "RabbitMQ (amqp://): the topics to report, e.g. svc.Orders (AMQP cannot list queues)" },
      },
      notes: [
        "On NATS it lists JetStream (durable) topics, and core-mode topics served by this process only: core NATS keeps no queue to count.",
        "On RabbitMQ it reports the --topics named, by passive declare of their queues: depth and consumers.",
      ],
    },
    load: async () => (await import("./stats-command.js")).statsCommand,
  },
  services: {
    spec: {
      name: "services",
      summary: "List the services running on a broker: each instance (host, pid, schema hash, start) and per method handled, errors, latency and last error.",
      flags: {
        url: urlFlag,
        token: tokenFlag,
        json: { type: "boolean", description: "print the list as JSON" },
        "wait-ms": waitFlag,
      },
      notes: ["Every serving runtime answers; the command waits --wait-ms for answers, then prints them."],
    },
    load: async () => (await import("./services-command.js")).servicesCommand,
  },
  ping: {
    spec: {
      name: "ping",
      summary: "Ping every instance of a service, with each one's round trip; exit 1 when none answers.",
      positionals: { usage: "<Service>", min: 1, max: 1, description: "the service's name, e.g. shop.Orders" },
      flags: {
        url: urlFlag,
        token: tokenFlag,
        json: { type: "boolean", description: "print the answers as JSON" },
        "wait-ms": waitFlag,
      },
    },
    load: async () => (await import("./ping-command.js")).pingCommand,
  },
  call: {
    spec: {
      name: "call",
      summary: "Call a method from the shell: JSON request in, JSON response out (the untyped path, for debugging).",
      positionals: { usage: "<Service.method> [<json>]", min: 1, max: 2, description: "the method, e.g. shop.Orders.place, and its request as JSON (none: no request)" },
      flags: {
        url: urlFlag,
        token: tokenFlag,
        header: { type: "string", valueName: "<name=value>", description: "a request header", multiple: true },
        "timeout-ms": { type: "string", valueName: "<ms>", description: "the call's timeout", defaultText: "10000" },
        key: { type: "string", valueName: "<key>", description: "the partition and ordering key" },
      },
      notes: ["A failure prints its code and message (e.g. ferry call: OUT_OF_STOCK: ...) and exits 1. Responses print big integers as strings and bytes as base64."],
    },
    load: async () => (await import("./call-command.js")).callCommand,
  },
  dlq: {
    spec: {
      name: "dlq",
      summary: "List, show, replay or purge a service's dead letters on a running broker (TCP broker, NATS durable topics, or RabbitMQ).",
      positionals: { usage: "list|show <id>|replay|purge", min: 1, max: 2, description: "what to do; show takes an entry id as list prints it" },
      flags: {
        url: urlFlag,
        token: tokenFlag,
        service: { type: "string", valueName: "<name>", description: "the service whose dead letters to read (required)" },
        method: { type: "string", valueName: "<name>", description: "only entries of this method" },
        error: { type: "string", valueName: "<code>", description: "only entries whose last error has this code (ACK_TIMEOUT, UNAVAILABLE, ...)" },
        since: { type: "string", valueName: "<time>", description: "only entries dead-lettered since: a date and time (2026-11-30T10:00:00Z) or a duration ago (90s, 15m, 2h, 7d)" },
        limit: { type: "string", valueName: "<n>", description: "at most this many entries, oldest first", defaultText: "1000 for list, all for replay and purge" },
        rate: { type: "string", valueName: "<n>", description: "replay at most this many entries per second", defaultText: "100" },
        json: { type: "boolean", description: "print entries (or the replay's counts) as JSON" },
        "no-body": { type: "boolean", description: "leave each entry's request out" },
      },
      notes: [
        "replay republishes each entry to its origin with its call id and idempotency key, and removes it only once the broker confirmed it.",
        "Exit codes: 0 done, 1 a failure (replay: some entries failed, listed), 2 bad arguments or an unknown service.",
      ],
    },
    load: async () => (await import("./dlq-command.js")).dlqCommand,
  },
  outbox: {
    spec: {
      name: "outbox",
      summary: "Relay a PostgreSQL outbox table's committed rows to the broker (ferry outbox relay), until SIGINT or SIGTERM.",
      positionals: { usage: "relay", min: 1, max: 1, description: "the action: relay" },
      flags: {
        database: { type: "string", valueName: "<url>", description: "the PostgreSQL database holding the outbox (postgres://...); or DATABASE_URL (required)" },
        url: urlFlag,
        token: tokenFlag,
        schema: { type: "string", valueName: "<schema>", description: "schema of the outbox table", defaultText: "the search path" },
        table: { type: "string", valueName: "<table>", description: "the outbox table (created if missing)", defaultText: "ferry_outbox" },
        batch: { type: "string", valueName: "<rows>", description: "rows locked and published per round", defaultText: String(defaultOutboxBatch) },
        "poll-ms": { type: "string", valueName: "<ms>", description: "how often an idle relay looks for rows, besides each commit's NOTIFY", defaultText: String(defaultOutboxPollMs) },
      },
      notes: ["Needs the pg package (npm install pg). Several relays may run at once: rows of one key still go in order."],
    },
    load: async () => (await import("./outbox-command.js")).outboxCommand,
  },
};
