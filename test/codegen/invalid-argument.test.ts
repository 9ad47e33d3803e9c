import { expect } from "chai";
import { connect, ErrorCode, FerryError, type Ferry } from "../../packages/ferry/src/index.js";
import { Broker } from "../../packages/ferry/src/broker/index.js";
import { OrdersClient } from "../../examples/services/generated/orders.client.js";
import { serveOrders } from "../../examples/services/generated/orders.handlers.js";
import type { PlaceOrder } from "../../examples/services/orders-types.js";

describe("a generated validator on the server", () => {
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

  it("answers a bad request with INVALID_ARGUMENT naming the field, without running the handler", async () => {
    let runs = 0;
    await serveOrders(ferry, {
      place: async (req) => {
        runs++;
        return { orderId: req.orderId, status: "accepted", totalCents: 0n, placedAt: new Date(0) };
      },
      quote: async () => null,
      cancelled: async () => {},
    });
    const orders = new OrdersClient(ferry);
    const bad = { orderId: "o-1", customerId: "c-1", items: [{ sku: "a", qty: "two" }] } as unknown as PlaceOrder;
    const error = await orders.place(bad).then(
      () => expect.fail("the call should have been refused"),
      (reason: unknown) => reason,
    );
    expect(error).to.be.instanceOf(FerryError);
    expect((error as FerryError).code).to.equal(ErrorCode.InvalidArgument);
    expect((error as FerryError).message).to.include("req.items[0].qty: expected number");
    expect(runs).to.equal(0);
    // The same server still runs a valid request.
    await orders.place({ orderId: "o-2", customerId: "c-1", items: [{ sku: "a", qty: 2 }] });
    expect(runs).to.equal(1);
  });
});
