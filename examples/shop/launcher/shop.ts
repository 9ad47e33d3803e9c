import type { Ferry } from "../../../packages/ferry/src/index.js";
import { InventoryClient } from "../generated/inventory.client.js";
import { OrderHistoryClient } from "../generated/order-history.client.js";
import { OrderIntakeClient } from "../generated/order-intake.client.js";
import { OrdersClient } from "../generated/orders.client.js";
import { PaymentsClient } from "../generated/payments.client.js";
import type { TransportChoice } from "./transport-choice.js";

/** What every step of the scenario works with: the launcher's own runtime and typed clients. */
export interface Shop {
  readonly ferry: Ferry;
  readonly orders: OrdersClient;
  readonly payments: PaymentsClient;
  readonly inventory: InventoryClient;
  readonly intake: OrderIntakeClient;
  readonly history: OrderHistoryClient;
  readonly choice: TransportChoice;
  readonly log: (line: string) => void;
}

export function openShop(ferry: Ferry, choice: TransportChoice, log: (line: string) => void): Shop {
  return {
    ferry,
    orders: new OrdersClient(ferry),
    payments: new PaymentsClient(ferry),
    inventory: new InventoryClient(ferry),
    intake: new OrderIntakeClient(ferry),
    history: new OrderHistoryClient(ferry),
    choice,
    log,
  };
}
