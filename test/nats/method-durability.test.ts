import { expect } from "chai";
import { defineService, method } from "../../packages/ferry/src/core/definition.js";
import { NoRespondersError } from "../../packages/ferry/src/core/errors.js";
import { Ferry } from "../../packages/ferry/src/core/ferry.js";
import { NatsMode } from "../../packages/ferry/src/transports/nats/nats-options.js";
import { NatsTransport } from "../../packages/ferry/src/transports/nats/nats-transport.js";
import { useNatsServer } from "../support/nats-server.js";
import { rejection, until } from "../support/wait.js";

/** One durable method and one plain method on the same service, so on the same topic. */
const Mixed = defineService("Mixed", {
  store: method<{ n: number }, number>({ durable: true }),
  peek: method<{ n: number }, number>(),
});

const mixedImpl = { store: ({ n }: { n: number }) => n + 1, peek: ({ n }: { n: number }) => n * 2 };

describe("NATS: durability is per method, as declared", function () {
  this.timeout(30_000);
  const natsUrl = useNatsServer();
  let tests = 0;
  let prefix = "";
  const opened: Ferry[] = [];
  beforeEach(() => {
    prefix = `methods${++tests}`;
  });
  afterEach(async () => {
    for (const ferry of opened.reverse()) await ferry.close();
    opened.length = 0;
  });

  async function runtime(mode: NatsMode = NatsMode.Core): Promise<Ferry> {
    const ferry = new Ferry(await NatsTransport.connect({ url: natsUrl(), prefix, mode }));
    await ferry.start();
    opened.push(ferry);
    return ferry;
  }

  /** Serves Mixed once and stops: its stream exists from then on, with no server behind it. */
  async function streamWithoutServer(): Promise<void> {
    const server = await runtime();
    await server.serve(Mixed, mixedImpl);
    await server.close();
  }

  /** Messages the service's stream holds, over all its lanes. */
  async function storedRequests(from: Ferry): Promise<number> {
    const topic = (await from.stats()).broker.topics.find((t) => t.name === "svc.Mixed");
    return topic?.partitions.reduce((sum, partition) => sum + partition.depth, 0) ?? 0;
  }

  it("fails a call of a non-durable method with NO_RESPONDERS when no server runs, though a durable method made the topic a stream", async () => {
    await streamWithoutServer();
    const client = await runtime();
    // Far longer than NO_RESPONDERS takes: a request parked in the stream would end as TIMEOUT.
    const error = await rejection(client.call(Mixed.methods.peek, { n: 1 }, { timeoutMs: 5_000 }));
    expect(error).to.be.instanceOf(NoRespondersError);
  });

  it("never stores a non-durable method's request in the service's stream", async () => {
    await streamWithoutServer();
    const client = await runtime();
    await rejection(client.call(Mixed.methods.peek, { n: 1 }, { timeoutMs: 5_000 }));
    expect(await storedRequests(client)).to.equal(0);
  });

  it("keeps a durable method's call until a server comes, and that server answers both kinds of method", async () => {
    await streamWithoutServer();
    const client = await runtime();
    const stored = client.call(Mixed.methods.store, { n: 41 }, { timeoutMs: 20_000 });
    // Stored before any server is back: the stream holds it.
    await until(async () => (await storedRequests(client)) === 1, "the stored call");
    const server = await runtime();
    await server.serve(Mixed, mixedImpl);
    expect(await stored).to.equal(42);
    expect(await client.call(Mixed.methods.peek, { n: 21 })).to.equal(42);
    expect(await storedRequests(client)).to.equal(0);
  });

  it("stores every method's requests in durable mode: the transport's mode makes every method durable", async () => {
    await streamWithoutServer();
    const client = await runtime(NatsMode.Durable);
    const peeked = client.call(Mixed.methods.peek, { n: 4 }, { timeoutMs: 20_000 });
    await until(async () => (await storedRequests(client)) === 1, "the stored call");
    const server = await runtime(NatsMode.Durable);
    await server.serve(Mixed, mixedImpl);
    expect(await peeked).to.equal(8);
  });
});
