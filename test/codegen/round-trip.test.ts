import { expect } from "chai";
import { connect, ErrorCode, FerryError, type Ferry, type FerryCaller } from "../../packages/ferry/src/index.js";
import { Broker } from "../../packages/ferry/src/broker/index.js";
import { OrdersClient } from "../../examples/services/generated/orders.client.js";
import { serveOrders } from "../../examples/services/generated/orders.handlers.js";
import type { Orders } from "../../examples/services/orders.js";
import { UsersClient } from "./fixtures/alias/expected/users.client.js";
import { serveUsers } from "./fixtures/alias/expected/users.handlers.js";
import { BlobsClient } from "./fixtures/bytes/expected/blobs.client.js";
import { serveBlobs } from "./fixtures/bytes/expected/blobs.handlers.js";
import { CalendarClient } from "./fixtures/dates/expected/calendar.client.js";
import { serveCalendar } from "./fixtures/dates/expected/calendar.handlers.js";
import { OrderEventsClient } from "./fixtures/events/expected/order-events.client.js";
import { OrderEventsDefinition } from "./fixtures/events/expected/order-events.definition.js";
import { serveOrderEvents } from "./fixtures/events/expected/order-events.handlers.js";
import { CatalogClient } from "./fixtures/generic/expected/catalog.client.js";
import { serveCatalog } from "./fixtures/generic/expected/catalog.handlers.js";
import { MatrixClient } from "./fixtures/nested-arrays/expected/matrix.client.js";
import { serveMatrix } from "./fixtures/nested-arrays/expected/matrix.handlers.js";
import { ProfilesClient } from "./fixtures/optional/expected/profiles.client.js";
import { serveProfiles } from "./fixtures/optional/expected/profiles.handlers.js";
import { TreesClient } from "./fixtures/recursive/expected/trees.client.js";
import { serveTrees } from "./fixtures/recursive/expected/trees.handlers.js";
import type { TreeNode } from "./fixtures/recursive/input/tree.js";
import { PaymentsClient } from "./fixtures/tags/expected/payments.client.js";
import { PaymentsDefinition } from "./fixtures/tags/expected/payments.definition.js";
import { servePayments } from "./fixtures/tags/expected/payments.handlers.js";
import { ShapesClient } from "./fixtures/unions/expected/shapes.client.js";
import { serveShapes } from "./fixtures/unions/expected/shapes.handlers.js";
import { AccountsClient } from "./fixtures/undeclared/expected/accounts.client.js";
import { serveAccounts } from "./fixtures/undeclared/expected/accounts.handlers.js";
import { NamesClient } from "./fixtures/templates/expected/names.client.js";
import { OrderHistoryClient } from "./fixtures/streams/expected/order-history.client.js";
import { serveOrderHistory } from "./fixtures/streams/expected/order-history.handlers.js";
import { serveNames } from "./fixtures/templates/expected/names.handlers.js";

describe("generated code over the in-process broker", () => {
  let broker: Broker;
  let ferry: Ferry;

  beforeEach(async () => {
    broker = new Broker();
    ferry = await connect({ broker });
  });

  afterEach(async () => {
    await ferry.close();
    await broker.close();
  });

  it("Orders example: a class implementing the interface serves; Date, bigint, and null round-trip", async () => {
    class OrdersService implements Orders {
      async place(req: Parameters<Orders["place"]>[0]) {
        return { orderId: req.orderId, status: "accepted" as const, totalCents: 12_345_678_901_234_567n, placedAt: req.deliverBy ?? new Date(0) };
      }
      async quote(req: { sku: string; qty: number }) {
        return req.sku === "none" ? null : { sku: req.sku, qty: req.qty, unitCents: 250, currency: "EUR" as const };
      }
      async cancelled() {}
    }
    await serveOrders(ferry, { useClass: OrdersService });
    const orders = new OrdersClient(ferry);
    const deliverBy = new Date("2030-01-02T03:04:05.678Z");
    const placed = await orders.place({ orderId: "o-1", customerId: "c-1", items: [{ sku: "a", qty: 2 }], deliverBy }, { timeoutMs: 5_000 });
    expect(placed.placedAt).to.be.instanceOf(Date);
    expect(placed.placedAt.getTime()).to.equal(deliverBy.getTime());
    expect(placed.totalCents).to.equal(12_345_678_901_234_567n);
    expect(await orders.quote({ sku: "none", qty: 1 })).to.equal(null);
    expect(await orders.quote({ sku: "a", qty: 3 })).to.deep.equal({ sku: "a", qty: 3, unitCents: 250, currency: "EUR" });
  });

  it("streams: an async generator serves an AsyncIterable method, the client iterates it and observes it", async () => {
    const placedAt = new Date("2030-01-02T03:04:05.678Z");
    await serveOrderHistory(ferry, {
      async *exportOrders(req) {
        for (let n = 0; n < 3; n++) yield { orderId: `o-${n}`, customer: req.customer, totalCents: n * 100, placedAt };
      },
      progress: async (req) =>
        (async function* () {
          yield { percent: 50, done: false };
          yield { percent: 100, done: req.jobId === "j" };
        })(),
      count: async () => 3,
    });
    const history = new OrderHistoryClient(ferry);
    const rows = [];
    for await (const row of history.exportOrders({ customer: "ada" }, { window: 2 })) rows.push(row);
    expect(rows.map((row) => row.orderId)).to.deep.equal(["o-0", "o-1", "o-2"]);
    expect(rows[2]!.placedAt).to.be.instanceOf(Date);
    expect(rows[2]!.placedAt.getTime()).to.equal(placedAt.getTime());
    const steps: { percent: number; done: boolean }[] = [];
    await new Promise<void>((resolve, reject) => history.progress({ jobId: "j" }).asObservable().subscribe({ next: (step) => steps.push(step), complete: resolve, error: reject }));
    expect(steps).to.deep.equal([{ percent: 50, done: false }, { percent: 100, done: true }]);
    expect(await history.count()).to.equal(3);
  });

  it("alias: renamed imports of aliases and Record<string, number> round-trip", async () => {
    const profile = { id: "u1", displayName: "Ada", tags: ["x", "y"], settings: { volume: 7, zoom: 1.5 } };
    await serveUsers(ferry, { get: async (req) => ({ ...profile, id: req.id }), rename: async (req) => req.id });
    const users = new UsersClient(ferry);
    expect(await users.get({ id: "u2" })).to.deep.equal({ ...profile, id: "u2" });
    expect(await users.rename(profile)).to.equal("u1");
  });

  it("generic: Page<Item> and a Result<Item> union round-trip", async () => {
    await serveCatalog(ferry, {
      list: async (req) => ({ items: [{ id: "i1", price: 3 }].slice(0, req.limit), next: req.cursor ?? null }),
      find: async (req) => (req.id === "i1" ? { ok: true, value: { id: "i1", price: 3 } } : { ok: false, error: "not found" }),
    });
    const catalog = new CatalogClient(ferry);
    expect(await catalog.list({ limit: 1 })).to.deep.equal({ items: [{ id: "i1", price: 3 }], next: null });
    expect(await catalog.find({ id: "i1" })).to.deep.equal({ ok: true, value: { id: "i1", price: 3 } });
    expect(await catalog.find({ id: "zz" })).to.deep.equal({ ok: false, error: "not found" });
  });

  it("optional: absent fields stay absent, and a method without a request is called with none", async () => {
    let received: unknown = "unset";
    await serveProfiles(ferry, {
      update: async (req) => {
        received = req;
        return { changed: req.name !== undefined };
      },
      count: async () => 42,
    });
    const profiles = new ProfilesClient(ferry);
    expect(await profiles.update({ id: "p", nickname: undefined, address: { street: "Main" } })).to.deep.equal({ changed: false });
    expect(received).to.deep.include({ id: "p", address: { street: "Main" } });
    expect(received).not.to.have.property("name");
    expect(await profiles.count()).to.equal(42);
  });

  it("unions: a discriminated union, literals and null round-trip", async () => {
    await serveShapes(ferry, {
      area: async ({ shape }) => (shape.kind === "circle" ? (shape.radius === 0 ? null : 3 * shape.radius ** 2) : shape.width * shape.height),
      describe: async (req) => (typeof req.value === "string" ? `${req.value}:${req.level}:${String(req.flag)}` : { code: req.value.length }),
    });
    const shapes = new ShapesClient(ferry);
    expect(await shapes.area({ shape: { kind: "rect", width: 2, height: 3 }, unit: "cm" })).to.equal(6);
    expect(await shapes.area({ shape: { kind: "circle", radius: 0 }, unit: "in" })).to.equal(null);
    expect(await shapes.describe({ value: "v", flag: null, level: 2 })).to.equal("v:2:null");
    expect(await shapes.describe({ value: [1, 2], flag: true, level: 1 })).to.deep.equal({ code: 2 });
  });

  it("dates: a Date stays a Date, also inside arrays of objects", async () => {
    const start = new Date("2031-05-06T07:08:09.010Z");
    await serveCalendar(ferry, {
      schedule: async (req) => new Date(req.start.getTime() + 60_000),
      between: async (req) => [{ title: "t", start: req.from, attendees: [{ name: "a", joinedAt: req.to }, { name: "b" }] }],
    });
    const calendar = new CalendarClient(ferry);
    const end = await calendar.schedule({ title: "x", start, attendees: [] });
    expect(end).to.be.instanceOf(Date);
    expect(end.getTime()).to.equal(start.getTime() + 60_000);
    const [meeting] = await calendar.between({ from: start, to: end });
    expect(meeting!.start).to.be.instanceOf(Date);
    expect(meeting!.attendees[0]!.joinedAt).to.be.instanceOf(Date);
    expect(meeting!.attendees[0]!.joinedAt!.getTime()).to.equal(end.getTime());
    expect(meeting!.attendees[1]).not.to.have.property("joinedAt");
  });

  it("bytes: Uint8Array bytes and bigints (also in a tuple) round-trip", async () => {
    const stored = new Map<string, { name: string; data: Uint8Array; size: bigint }>();
    await serveBlobs(ferry, {
      put: async (req) => {
        stored.set(req.name, req);
        return { digest: Uint8Array.from([req.data.length, 255, 0]), stored: [req.name, req.size * 2n] };
      },
      get: async (req) => stored.get(req.name) ?? null,
    });
    const blobs = new BlobsClient(ferry);
    const data = Uint8Array.from([0, 1, 2, 254, 255]);
    const receipt = await blobs.put({ name: "b", data, size: 2n ** 62n });
    expect(receipt.digest).to.be.instanceOf(Uint8Array);
    expect([...receipt.digest]).to.deep.equal([5, 255, 0]);
    expect(receipt.stored).to.deep.equal(["b", 2n ** 63n]);
    const blob = await blobs.get({ name: "b" });
    expect(blob!.data).to.be.instanceOf(Uint8Array);
    expect([...blob!.data]).to.deep.equal([...data]);
    expect(typeof blob!.size).to.equal("bigint");
    expect(await blobs.get({ name: "missing" })).to.equal(null);
  });

  it("nested arrays: matrices and arrays of variadic tuples round-trip", async () => {
    await serveMatrix(ferry, {
      transpose: async ({ rows }) => rows[0]!.map((_, col) => rows.map((row) => row[col]!)),
      cells: async ({ grid }) => grid.flat().map((cell) => [cell, `${cell.row}`, `${cell.col}`] as [typeof cell, ...string[]]),
    });
    const matrix = new MatrixClient(ferry);
    expect(await matrix.transpose({ rows: [[1, 2, 3], [4, 5, 6]] })).to.deep.equal([[1, 4], [2, 5], [3, 6]]);
    expect(await matrix.cells({ grid: [[{ row: 0, col: 1 }]] })).to.deep.equal([[{ row: 0, col: 1 }, "0", "1"]]);
  });

  it("events: emit reaches the handler, keyed by the @key field; an event without payload too", async () => {
    expect(OrderEventsDefinition.methods.placed.kind).to.equal("event");
    expect(OrderEventsDefinition.methods.placed.keyOf?.({ orderId: "o-9", total: 1 })).to.equal("o-9");
    const seen: unknown[] = [];
    let heard!: () => void;
    const bothHeard = new Promise<void>((resolve) => (heard = resolve));
    await serveOrderEvents(ferry, {
      placed: async (evt) => void seen.push(evt),
      heartbeat: async () => {
        seen.push("heartbeat");
        heard();
      },
    });
    const events = new OrderEventsClient(ferry);
    await events.placed({ orderId: "o-9", total: 10 });
    await events.heartbeat();
    await bothHeard;
    expect(seen).to.deep.equal([{ orderId: "o-9", total: 10 }, "heartbeat"]);
  });

  it("tags: options reach the definition, and an idempotent call with retries runs once per key", async () => {
    const charge = PaymentsDefinition.methods.charge;
    expect({ keyPath: charge.keyPath, idempotent: charge.idempotent, timeoutMs: charge.timeoutMs, retries: charge.retries }).to.deep.equal({ keyPath: "account.id", idempotent: true, timeoutMs: 1500, retries: 3 });
    expect(PaymentsDefinition.methods.settle.timeoutMs).to.equal(60_000);
    expect(PaymentsDefinition.methods.settle.durable).to.equal(true);
    expect(PaymentsDefinition.methods.refunded.kind).to.equal("event");
    expect(PaymentsDefinition.schemaHash).to.match(/^sha256:[0-9a-f]{64}$/);
    let runs = 0;
    await servePayments(ferry, {
      charge: async (req) => ({ receipt: `r${++runs}:${req.account.id}:${req.cents}` }),
      settle: async () => {},
      refunded: async () => {},
    });
    const payments = new PaymentsClient(ferry);
    const request = { account: { id: "acc", region: "eu" as const }, cents: 5 };
    expect(await payments.charge(request, { idempotencyKey: "k1" })).to.deep.equal({ receipt: "r1:acc:5" });
    expect(await payments.charge(request, { idempotencyKey: "k1" })).to.deep.equal({ receipt: "r1:acc:5" });
    expect(runs).to.equal(1);
    expect(await payments.settle({ batch: 1 })).to.equal(undefined);
  });

  it("undeclared: a handler sees only what the request's type declares, and a strict server refuses the rest naming its path", async () => {
    const seen: unknown[] = [];
    const handlers = {
      create: async (req: unknown) => {
        seen.push(req);
        return { id: "user-1" as const, name: "eve", isAdmin: false, labels: {} };
      },
      annotate: async () => [],
    };
    const lenient = await serveAccounts(ferry, handlers);
    const accounts = new AccountsClient(ferry);
    const sneaky = { id: "user-root", isAdmin: true, name: "eve", labels: { team: "a" }, contacts: [{ kind: "email", address: "e@x", number: "1" }] };
    await accounts.create(sneaky as unknown as Parameters<AccountsClient["create"]>[0]);
    expect(seen).to.deep.equal([{ name: "eve", labels: { team: "a" }, contacts: [{ kind: "email", address: "e@x" }] }]);

    await lenient.close();
    const strictRuntime = await connect({ broker });
    try {
      await serveAccounts(strictRuntime, handlers, { strict: true });
      const error = await accounts.create(sneaky as unknown as Parameters<AccountsClient["create"]>[0]).then(
        () => expect.fail("a strict server should refuse the request"),
        (reason: unknown) => reason as FerryError,
      );
      expect(error).to.be.instanceOf(FerryError);
      expect(error.code).to.equal(ErrorCode.InvalidArgument);
      expect(error.message).to.include("req.id: is not declared in the type").and.to.include("req.isAdmin: is not declared in the type").and.to.include("req.contacts[0].number: is not declared in the type");
      expect(seen).to.have.length(1);
    } finally {
      await strictRuntime.close();
    }
  });

  it("undeclared: with validateResponses, a reply loses what its type does not declare", async () => {
    await serveAccounts(ferry, {
      create: async (req) => ({ id: "user-1", name: req.name, isAdmin: false, labels: {}, passwordHash: "x" }) as never,
      annotate: async () => [],
    });
    const checked = await connect({ broker, validateResponses: true });
    try {
      expect(await new AccountsClient(checked).create({ name: "eve", labels: {}, contacts: [] })).to.deep.equal({ id: "user-1", name: "eve", isAdmin: false, labels: {} });
    } finally {
      await checked.close();
    }
  });

  it("templates: template literal types round-trip, and a string outside the template is refused", async () => {
    await serveNames(ferry, { check: async (req) => (req.user === "user-none" ? null : `ok-${req.size.length}` as const) });
    const names = new NamesClient(ferry);
    const request = { user: "user-1", size: "1px", count: "1", range: "1-2", pair: "a1", shout: "A", title: "A!", quiet: "a.b", hinted: "a@b" } as const;
    expect(await names.check(request)).to.equal("ok-3");
    expect(await names.check({ ...request, user: "user-none" })).to.equal(null);
    const error = await names.check({ ...request, user: "bob" as `user-${string}` }).then(() => undefined, (reason: unknown) => reason as FerryError);
    expect(error?.code).to.equal(ErrorCode.InvalidArgument);
    expect(error?.message).to.include("req.user: expected `user-${string}`");
  });

  it("recursive: named recursive types round-trip", async () => {
    const depth = (node: TreeNode): number => 1 + Math.max(0, ...node.children.map(depth));
    await serveTrees(ferry, { depth: async (req) => depth(req), echo: async (req) => req.payload });
    const trees = new TreesClient(ferry);
    expect(await trees.depth({ label: "a", children: [{ label: "b", children: [{ label: "c", children: [] }] }] })).to.equal(3);
    const json = { a: [1, "two", null, { b: true }], c: {} };
    expect(await trees.echo({ payload: json })).to.deep.equal(json);
  });
});

describe("generated client with a stub", () => {
  it("takes any FerryCaller, so a unit test needs no broker", async () => {
    const sent: { service: string; method: string; request: unknown }[] = [];
    const stub: FerryCaller = {
      call: async (method, request) => {
        sent.push({ service: method.service, method: method.name, request });
        return { sku: "kettle", qty: 2, unitCents: 1_250, currency: "EUR" } as never;
      },
      emit: async (method, payload) => void sent.push({ service: method.service, method: method.name, request: payload }),
    };
    const orders = new OrdersClient(stub);
    expect(await orders.quote({ sku: "kettle", qty: 2 })).to.deep.equal({ sku: "kettle", qty: 2, unitCents: 1_250, currency: "EUR" });
    await orders.cancelled({ orderId: "o-1" });
    expect(sent).to.deep.equal([
      { service: "Orders", method: "quote", request: { sku: "kettle", qty: 2 } },
      { service: "Orders", method: "cancelled", request: { orderId: "o-1" } },
    ]);
  });
});
