import { expect } from "chai";
import { ErrorCode, type FerryError } from "../../packages/ferry/src/core/errors.js";
import { OrdersDefinition } from "../../examples/services/generated/orders.definition.js";
import type { PlaceOrder } from "../../examples/services/orders-types.js";
import { rejection } from "../support/wait.js";
import { useHarness, type ConformanceTarget } from "./harness.js";

/** A `PlaceOrder` as a client built against a newer interface, or an attacker, might send it. */
const carrying = { orderId: "o-1", customerId: "c-1", items: [{ sku: "a", qty: 1, price: 0 }], isAdmin: true } as unknown as PlaceOrder;

/** Requests meet their generated validator on the server, whatever carried them. */
export function describeValidation(target: ConformanceTarget): void {
  describe("request validation", () => {
    const harness = useHarness(target);

    /** Serves the example Orders service with a `place` that records what it was given. */
    async function serveOrders(options: { strict?: boolean } = {}) {
      const server = await harness().runtime();
      const received: unknown[] = [];
      await server.serve(
        OrdersDefinition,
        {
          place: (req) => {
            received.push(req);
            return { orderId: req.orderId, status: "accepted" as const, totalCents: 0n, placedAt: new Date(0) };
          },
          quote: () => null,
          cancelled: () => undefined,
        },
        options,
      );
      return received;
    }

    it("removes every property the request's type does not declare before the handler runs", async () => {
      const received = await serveOrders();
      const client = await harness().runtime();
      await client.call(OrdersDefinition.methods.place, carrying);
      expect(received).to.deep.equal([{ orderId: "o-1", customerId: "c-1", items: [{ sku: "a", qty: 1 }] }]);
    });

    it("with strict, refuses an undeclared property with INVALID_ARGUMENT naming its path, and never runs the handler", async () => {
      const received = await serveOrders({ strict: true });
      const client = await harness().runtime();
      const error = (await rejection(client.call(OrdersDefinition.methods.place, carrying))) as FerryError;
      expect(error.code).to.equal(ErrorCode.InvalidArgument);
      expect(error.message).to.include("req.items[0].price: is not declared in the type").and.to.include("req.isAdmin: is not declared in the type");
      expect(received).to.deep.equal([]);
    });

    it("replays a retry of a request carrying undeclared properties: the idempotency fingerprint is of the bytes sent", async () => {
      const received = await serveOrders();
      const client = await harness().runtime();
      const first = await client.call(OrdersDefinition.methods.place, carrying, { idempotencyKey: "k-1" });
      const again = await client.call(OrdersDefinition.methods.place, carrying, { idempotencyKey: "k-1" });
      expect(again).to.deep.equal(first);
      expect(received).to.have.length(1);
    });
  });
}
