import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { defaultMaxReplyQueues, defaultSweepIntervalMs, MAX_KEY_LENGTH } from "../../packages/ferry/src/broker/broker.js";
import { defaultMaxFrameBytes, frameOverheadBytes } from "../../packages/ferry/src/broker/protocol/frame-limits.js";
import { defaultBrokerHost } from "../../packages/ferry/src/broker/server/broker-address.js";
import {
  defaultAuthTimeoutMs,
  defaultIdleTimeoutMs,
  defaultMaxConnections,
  defaultMaxOutboundBytes,
  defaultMaxReplyQueuesPerConnection,
  defaultReplyQueueGraceMs,
} from "../../packages/ferry/src/broker/server/broker-server.js";
import { defaultMaxHeldReplies, defaultMaxHeldReplyBytes } from "../../packages/ferry/src/broker/server/reply-queue-registry.js";
import { defaultFsyncIntervalMs, defaultSegmentBytes } from "../../packages/ferry/src/broker/storage/broker-storage.js";
import { defaultFsync } from "../../packages/ferry/src/broker/storage/fsync-policy.js";
import { defaultBackoff } from "../../packages/ferry/src/core/backoff.js";
import { defaultCallerStacks, defaultCallTimeoutMs, defaultMaxPendingCalls } from "../../packages/ferry/src/core/client.js";
import { defaultMetricsHost } from "../../packages/ferry/src/broker/metrics/metrics-host.js";
import {
  defaultAckTimeoutMs,
  defaultLazyConfirmMs,
  defaultMaxDeliveries,
  defaultMaxLength,
  defaultMaxMessageBytes,
  defaultOverflow,
  defaultPartitions,
  defaultPrefetch,
  defaultTopicOptions,
  defaultMaxOpenStreams,
  defaultStreamHeartbeatMs,
  defaultStreamIdleTimeoutMs,
  defaultStreamWindow,
  defaultStreamWindowBytes,
  initialStreamCredit,
  maxStreamWindow,
  maxStreamWindowBytes,
} from "../../packages/ferry/src/core/defaults.js";
import { maxItemBatchBytes } from "../../packages/ferry/src/core/stream/item-batch.js";
import { defaultIdempotencyTtlMs, defaultMaxIdempotencyKeys } from "../../packages/ferry/src/core/idempotency.js";
import { defaultDiscoveryWaitMs, maxDiscoveryAnswers, maxDiscoveryWaitMs } from "../../packages/ferry/src/core/registry/discover.js";
import { discoveryTopicMaxLength } from "../../packages/ferry/src/core/registry/discovery-messages.js";
import { defaultDeadLetterListLimit, defaultReplayRatePerSecond } from "../../packages/ferry/src/core/dead-letter-queue.js";
import { defaultDrainTimeoutMs, defaultRedeliveryDelayMs } from "../../packages/ferry/src/core/serve-options.js";
import { defaultDecodeLimits, defaultMaxDepth } from "../../packages/ferry/src/core/wire/codec.js";
import { maxErrorDetailBytes, maxErrorMessageChars } from "../../packages/ferry/src/core/wire/wire-error.js";
import { defaultLeaseMs } from "../../packages/ferry/src/transports/nats/kv-idempotency-store.js";
import {
  defaultDuplicateWindowMs,
  defaultNatsPrefix,
  defaultPublishRetryMs,
  defaultReplicas,
  defaultWriteBatchBytes,
} from "../../packages/ferry/src/transports/nats/nats-options.js";
import { recheckDurableMs } from "../../packages/ferry/src/transports/nats/topic-durability.js";
import { repoRoot } from "../codegen/support.js";

/** 10000 as README writes it: 10,000. */
function count(value: number): string {
  return value.toLocaleString("en-US");
}

/** A size in bytes as README writes it: 1 MiB, 4 KiB, else a count of bytes. */
function size(bytes: number): string {
  if (bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${count(bytes)} bytes`;
}

/** A duration as README writes it in prose: 24 h, 30 s, 250 ms. */
function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/** A row of an options table: option and default, as its first two cells. */
function row(option: string, value: string): string {
  return `| \`${option}\` | ${value} |`;
}

const main = "README.md";
const nats = "packages/ferry/src/transports/nats/README.md";

/**
 * Each default the code defines, and the phrase of README that states it, built from the
 * constant's value: changing a default without README fails here. A figure README states that
 * is not in this table is not checked. Line breaks and indentation count as one space.
 */
const stated: readonly { constant: string; readme: string; phrase: string }[] = [
  // Options and defaults: connect(options)
  { constant: "defaultCallTimeoutMs", readme: main, phrase: row("defaultTimeoutMs", count(defaultCallTimeoutMs)) },
  { constant: "defaultMaxPendingCalls", readme: main, phrase: row("maxPendingCalls", count(defaultMaxPendingCalls)) },
  {
    constant: "defaultBackoff",
    readme: main,
    phrase: row("backoff", `\`{ initialMs: ${defaultBackoff.initialMs}, maxMs: ${defaultBackoff.maxMs}, multiplier: ${defaultBackoff.multiplier}, jitter: ${defaultBackoff.jitter} }\``),
  },
  { constant: "defaultCallerStacks", readme: main, phrase: row("callerStacks", String(defaultCallerStacks)) },
  { constant: "defaultMetricsHost", readme: main, phrase: `\`ferry broker --metrics-port 9464\` serves, on \`${defaultMetricsHost}\`` },
  { constant: "defaultDecodeLimits", readme: main, phrase: row("decodeLimits", `\`{ maxBytes: ${size(defaultDecodeLimits.maxBytes)}, maxDepth: ${defaultDecodeLimits.maxDepth} }\``) },
  { constant: "defaultStreamWindow", readme: main, phrase: row("streamWindow", count(defaultStreamWindow)) },
  { constant: "defaultStreamWindowBytes", readme: main, phrase: row("streamWindowBytes", size(defaultStreamWindowBytes)) },
  { constant: "defaultMaxOpenStreams", readme: main, phrase: row("maxOpenStreams", count(defaultMaxOpenStreams)) },
  { constant: "defaultStreamHeartbeatMs", readme: main, phrase: row("streamHeartbeatMs", count(defaultStreamHeartbeatMs)) },
  // Serve options
  { constant: "defaultStreamIdleTimeoutMs", readme: main, phrase: row("streamIdleTimeoutMs", count(defaultStreamIdleTimeoutMs)) },
  { constant: "defaultPrefetch", readme: main, phrase: row("concurrency", count(defaultPrefetch)) },
  { constant: "defaultRedeliveryDelayMs", readme: main, phrase: row("redeliveryDelayMs", count(defaultRedeliveryDelayMs)) },
  { constant: "defaultDrainTimeoutMs", readme: main, phrase: row("drainTimeoutMs", count(defaultDrainTimeoutMs)) },
  // Topic options
  { constant: "defaultPartitions", readme: main, phrase: row("partitions", count(defaultPartitions)) },
  { constant: "defaultTopicOptions.durable", readme: main, phrase: row("durable", String(defaultTopicOptions.durable)) },
  { constant: "defaultMaxLength", readme: main, phrase: row("maxLength", count(defaultMaxLength)) },
  { constant: "defaultOverflow", readme: main, phrase: row("overflow", `\`${defaultOverflow}\``) },
  { constant: "defaultAckTimeoutMs", readme: main, phrase: row("ackTimeoutMs", count(defaultAckTimeoutMs)) },
  { constant: "defaultSweepIntervalMs", readme: main, phrase: `is redelivered, checked every ${duration(defaultSweepIntervalMs)}` },
  { constant: "defaultMaxDeliveries", readme: main, phrase: row("maxDeliveries", count(defaultMaxDeliveries)) },
  // The dead-letter tool
  { constant: "defaultDeadLetterListLimit", readme: main, phrase: row("limit", count(defaultDeadLetterListLimit)) },
  { constant: "defaultReplayRatePerSecond", readme: main, phrase: row("rate", count(defaultReplayRatePerSecond)) },
  { constant: "defaultDeadLetterListLimit", readme: main, phrase: `| dead letters \`list\` returns | ${count(defaultDeadLetterListLimit)} (\`limit\`) |` },
  // Limits
  { constant: "defaultMaxMessageBytes", readme: main, phrase: `| message size | ${size(defaultMaxMessageBytes)} (\`maxMessageBytes\`, \`decodeLimits.maxBytes\`) |` },
  { constant: "defaultMaxDepth", readme: main, phrase: `| nesting depth of a decoded value | ${count(defaultMaxDepth)} |` },
  { constant: "defaultMaxPendingCalls", readme: main, phrase: `| pending calls per runtime | ${count(defaultMaxPendingCalls)} |` },
  { constant: "defaultMaxLength", readme: main, phrase: `| messages per partition | ${count(defaultMaxLength)} |` },
  { constant: "defaultMaxOpenStreams", readme: main, phrase: `| open streams per runtime | ${count(defaultMaxOpenStreams)} |` },
  { constant: "maxStreamWindow", readme: main, phrase: `| credit window of a stream | 1 to ${count(maxStreamWindow)} items (\`maxStreamWindow\`) |` },
  { constant: "maxStreamWindowBytes", readme: main, phrase: `| byte window of a stream | 1 byte to ${size(maxStreamWindowBytes)} (\`maxStreamWindowBytes\`) |` },
  { constant: "maxItemBatchBytes", readme: main, phrase: `| a batch of stream items | ${size(maxItemBatchBytes)} (\`maxItemBatchBytes\`)` },
  // Streaming replies
  { constant: "defaultStreamWindow", readme: main, phrase: `at most \`window\` (default ${count(defaultStreamWindow)}
items)` },
  { constant: "defaultStreamWindowBytes", readme: main, phrase: `as many items as \`windowBytes\` (default ${size(defaultStreamWindowBytes)}) holds` },
  { constant: "initialStreamCredit", readme: main, phrase: `grants ${count(initialStreamCredit)} items (\`initialStreamCredit\`` },
  { constant: "defaultStreamHeartbeatMs", readme: main, phrase: `for \`streamHeartbeatMs\` (default ${count(defaultStreamHeartbeatMs)} ms)` },
  { constant: "defaultStreamIdleTimeoutMs", readme: main, phrase: `\`streamIdleTimeoutMs\` (default ${count(defaultStreamIdleTimeoutMs)} ms;` },
  {
    constant: "defaultMaxReplyQueues, defaultMaxReplyQueuesPerConnection",
    readme: main,
    phrase: `| reply queues | ${count(defaultMaxReplyQueues)} per broker, ${count(defaultMaxReplyQueuesPerConnection)} per TCP connection |`,
  },
  {
    constant: "defaultMaxIdempotencyKeys, defaultIdempotencyTtlMs",
    readme: main,
    phrase: `| idempotency keys | ${count(defaultMaxIdempotencyKeys)} per memory store, ${duration(defaultIdempotencyTtlMs)} TTL |`,
  },
  { constant: "defaultMaxDeliveries", readme: main, phrase: `| deliveries per message | ${count(defaultMaxDeliveries)} |` },
  { constant: "maxDiscoveryAnswers", readme: main, phrase: `| answers per discovery listing | ${count(maxDiscoveryAnswers)} |` },
  {
    constant: "defaultDiscoveryWaitMs, maxDiscoveryWaitMs",
    readme: main,
    phrase: `| discovery wait (\`waitMs\`, \`--wait-ms\`) | ${duration(defaultDiscoveryWaitMs)}, at most ${count(maxDiscoveryWaitMs)} ms |`,
  },
  { constant: "discoveryTopicMaxLength", readme: main, phrase: `| discovery requests a stopped runtime's group holds (embedded broker) | ${count(discoveryTopicMaxLength)} |` },
  { constant: "MAX_KEY_LENGTH", readme: main, phrase: `| partition key length (embedded broker) | ${count(MAX_KEY_LENGTH)} characters |` },
  { constant: "maxErrorMessageChars", readme: main, phrase: `A message is cut at ${count(maxErrorMessageChars)} characters (\`maxErrorMessageChars\`)` },
  { constant: "maxErrorDetailBytes", readme: main, phrase: `share ${size(maxErrorDetailBytes)} of msgpack (\`maxErrorDetailBytes\`)` },
  // The TCP broker
  { constant: "defaultLazyConfirmMs", readme: main, phrase: `\`lazyConfirmMs\` (${duration(defaultLazyConfirmMs)})` },
  { constant: "defaultLazyConfirmMs", readme: main, phrase: row("lazyConfirmMs", count(defaultLazyConfirmMs)) },
  {
    constant: "defaultMaxHeldReplies, defaultMaxHeldReplyBytes, defaultReplyQueueGraceMs",
    readme: main,
    phrase: `up to ${count(defaultMaxHeldReplies)} replies (${size(defaultMaxHeldReplyBytes)}) that arrived meanwhile, for ${duration(defaultReplyQueueGraceMs)}.`,
  },
  { constant: "defaultSegmentBytes", readme: main, phrase: `which roll at ${size(defaultSegmentBytes)}` },
  { constant: "defaultFsync", readme: main, phrase: `with \`--fsync ${defaultFsync}\` (the default)` },
  { constant: "defaultFsyncIntervalMs", readme: main, phrase: `\`interval\` syncs every ${duration(defaultFsyncIntervalMs)}` },
  { constant: "defaultBrokerHost", readme: main, phrase: `| bind address | \`${defaultBrokerHost}\` |` },
  { constant: "defaultAuthTimeoutMs", readme: main, phrase: row("authTimeoutMs", count(defaultAuthTimeoutMs)) },
  { constant: "defaultMaxFrameBytes", readme: main, phrase: row("maxFrameBytes", `${size(defaultMaxMessageBytes)} + ${size(frameOverheadBytes)}`) },
  { constant: "defaultMaxConnections", readme: main, phrase: row("maxConnections", count(defaultMaxConnections)) },
  { constant: "defaultMaxReplyQueuesPerConnection", readme: main, phrase: row("maxReplyQueuesPerConnection", count(defaultMaxReplyQueuesPerConnection)) },
  { constant: "defaultMaxOutboundBytes", readme: main, phrase: row("maxOutboundBytes", `${size(defaultMaxOutboundBytes)} per connection`) },
  { constant: "defaultIdleTimeoutMs", readme: main, phrase: row("idleTimeoutMs", count(defaultIdleTimeoutMs)) },
  { constant: "defaultReplyQueueGraceMs", readme: main, phrase: row("replyQueueGraceMs", count(defaultReplyQueueGraceMs)) },
  // NATS
  { constant: "defaultNatsPrefix", readme: nats, phrase: row("prefix", `\`${defaultNatsPrefix}\``) },
  { constant: "defaultReplicas", readme: nats, phrase: row("replicas", count(defaultReplicas)) },
  { constant: "defaultDuplicateWindowMs", readme: nats, phrase: row("duplicateWindowMs", count(defaultDuplicateWindowMs)) },
  { constant: "defaultPublishRetryMs", readme: nats, phrase: row("publishRetryMs", count(defaultPublishRetryMs)) },
  { constant: "defaultLazyConfirmMs", readme: nats, phrase: row("lazyConfirmMs", count(defaultLazyConfirmMs)) },
  { constant: "defaultWriteBatchBytes", readme: nats, phrase: row("writeBatchBytes", count(defaultWriteBatchBytes)) },
  { constant: "recheckDurableMs", readme: nats, phrase: `how old a cached "this topic has no stream" is (${duration(recheckDurableMs)})` },
  { constant: "defaultLeaseMs", readme: nats, phrase: `\`leaseMs\` (default ${duration(defaultLeaseMs)})` },
  { constant: "defaultMaxDeliveries", readme: nats, phrase: `\`maxDeliveries\` (default ${count(defaultMaxDeliveries)})` },
  {
    constant: "defaultTopicOptions",
    readme: nats,
    phrase:
      `the defaults (${count(defaultTopicOptions.partitions)} partitions, \`maxLength\` ${count(defaultTopicOptions.maxLength)}, \`${defaultTopicOptions.overflow}\`, ` +
      `\`ackTimeoutMs\` ${count(defaultTopicOptions.ackTimeoutMs)}, \`maxDeliveries\` ${count(defaultTopicOptions.maxDeliveries)})`,
  },
];

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ");
}

describe("README states the defaults the code defines", () => {
  const texts = new Map<string, string>();
  const text = (readme: string): string => texts.get(readme) ?? texts.set(readme, oneLine(readFileSync(join(repoRoot, readme), "utf8"))).get(readme)!;

  for (const { constant, readme, phrase } of stated) {
    it(`${readme} states ${constant}: ${JSON.stringify(phrase)}`, () => {
      expect(text(readme).includes(oneLine(phrase)), `${readme} lacks ${JSON.stringify(phrase)}`).to.equal(true);
    });
  }

  // README states these two by their parts: the parts must be what the code adds up.
  it("the frame limit is the message limit plus the frame overhead", () => {
    expect(defaultMaxFrameBytes).to.equal(defaultMaxMessageBytes + frameOverheadBytes);
  });

  it("the decode limits are the message limit and the default depth", () => {
    expect(defaultDecodeLimits).to.deep.equal({ maxBytes: defaultMaxMessageBytes, maxDepth: defaultMaxDepth });
  });
});
