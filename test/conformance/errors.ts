import { expect } from "chai";
import { defineService, method } from "../../packages/ferry/src/core/definition.js";
import {
  ClosedError,
  FerryError,
  IdempotencyMismatchError,
  InternalError,
  InvalidArgumentError,
  RemoteError,
  UnauthenticatedError,
  UnimplementedError,
} from "../../packages/ferry/src/core/errors.js";
import { Calculator, calculatorImpl } from "../support/services.js";
import { rejection } from "../support/wait.js";
import { useHarness, type ConformanceTarget } from "./harness.js";

/** An application's error as users write it: a plain `Error` subclass with a code and fields, no `name`. */
class InsufficientFunds extends Error {
  code = "INSUFFICIENT_FUNDS";
  balance = 3;
  constructor(readonly requested: number) {
    super(`balance 3 is less than ${requested}`);
  }
}

/** An application's error built on `FerryError`, with `data` and a field of its own. */
class CardDeclined extends FerryError {
  override name = "CardDeclined";
  constructor(readonly issuer: string) {
    super("CARD_DECLINED", `the card was declined by ${issuer}`, { data: { retryAfter: new Date(1_700_000_000_000) } });
  }
}

const Bank = defineService("Bank", {
  withdraw: method<{ cents: number }, { left: number }>(),
  charge: method<{ cents: number }, { receipt: string }>(),
  /** Throws the Ferry error named by `code`. */
  refuse: method<{ code: string }, never>(),
});

const ferryErrors: Record<string, new (message: string) => FerryError> = {
  UNAUTHENTICATED: UnauthenticatedError,
  UNIMPLEMENTED: UnimplementedError,
  INTERNAL: InternalError,
  INVALID_ARGUMENT: InvalidArgumentError,
  IDEMPOTENCY_MISMATCH: IdempotencyMismatchError,
  CLOSED: ClosedError,
};

const bank = {
  withdraw: ({ cents }: { cents: number }): never => {
    throw new InsufficientFunds(cents);
  },
  charge: (): never => {
    throw new CardDeclined("Acme Bank");
  },
  refuse: ({ code }: { code: string }): never => {
    throw new ferryErrors[code]!(`refused with ${code}`);
  },
};

export function describeErrors(target: ConformanceTarget): void {
  describe("errors", () => {
    const harness = useHarness(target);

    it("carries an unregistered error class as a RemoteError with its name, code, message and own fields", async () => {
      const server = await harness().runtime();
      await server.serve(Bank, bank);
      const client = await harness().runtime();
      const error = await rejection(client.call(Bank.methods.withdraw, { cents: 5 }));
      expect(error).to.be.instanceOf(RemoteError);
      expect(error).not.to.be.instanceOf(InsufficientFunds);
      expect(error.name).to.equal("InsufficientFunds");
      expect(error.code).to.equal("INSUFFICIENT_FUNDS");
      expect(error.message).to.equal("balance 3 is less than 5");
      expect({ ...error }).to.deep.include({ balance: 3, requested: 5 });
      expect((error as FerryError).retryable).to.equal(false);
    });

    it("rebuilds a registered error class on the caller, so instanceof holds, with every field", async () => {
      const server = await harness().runtime();
      await server.serve(Bank, bank);
      const client = await harness().runtime({ errors: [InsufficientFunds, CardDeclined] });
      const funds = await rejection(client.call(Bank.methods.withdraw, { cents: 7 }));
      expect(funds).to.be.instanceOf(InsufficientFunds);
      expect(funds).to.include({ name: "InsufficientFunds", code: "INSUFFICIENT_FUNDS", message: "balance 3 is less than 7", balance: 3, requested: 7 });
      expect(funds.stack).to.be.a("string");
      const declined = await rejection(client.call(Bank.methods.charge, { cents: 100 }));
      expect(declined).to.be.instanceOf(CardDeclined);
      expect(declined).to.be.instanceOf(FerryError);
      expect(declined).to.include({ name: "CardDeclined", code: "CARD_DECLINED", message: "the card was declined by Acme Bank", issuer: "Acme Bank", retryable: false });
      expect((declined as CardDeclined).data).to.deep.equal({ retryAfter: new Date(1_700_000_000_000) });
    });

    it("answers a method the service does not have with UnimplementedError, naming the methods it has", async () => {
      const server = await harness().runtime();
      await server.serve(Calculator, calculatorImpl);
      const client = await harness().runtime();
      const error = await rejection(client.call("Calculator", "divide", { a: 1, b: 0 }));
      expect(error).to.be.instanceOf(UnimplementedError);
      expect(error.code).to.equal("UNIMPLEMENTED");
      expect(error.message).to.equal("Calculator has no method divide; its methods are add, echo, charge, slow, fail, note");
    });

    it("rebuilds each Ferry error a handler throws as its own class: UNAUTHENTICATED, UNIMPLEMENTED, INTERNAL, ...", async () => {
      const server = await harness().runtime();
      await server.serve(Bank, bank);
      const client = await harness().runtime();
      for (const [code, ErrorClass] of Object.entries(ferryErrors)) {
        const error = await rejection(client.call(Bank.methods.refuse, { code }));
        expect(error, code).to.be.instanceOf(ErrorClass);
        expect(error, code).to.include({ code, name: ErrorClass.name, message: `refused with ${code}` });
      }
    });

    it("keeps a nested call's error intact when a handler lets it through", async () => {
      const inner = await harness().runtime();
      await inner.serve(Bank, bank);
      const outer = await harness().runtime();
      const Relay = defineService("Relay", { relay: method<{ cents: number }, { left: number }>() });
      await outer.serve(Relay, { relay: (request: { cents: number }) => outer.call(Bank.methods.withdraw, request) });
      const client = await harness().runtime({ errors: [InsufficientFunds] });
      const error = await rejection(client.call(Relay.methods.relay, { cents: 9 }));
      expect(error).to.be.instanceOf(InsufficientFunds);
      expect(error).to.include({ name: "InsufficientFunds", code: "INSUFFICIENT_FUNDS", balance: 3, requested: 9 });
    });

    it("answers with a handler's error whose data cannot cross, leaving the data out and naming it", async () => {
      const server = await harness().runtime();
      await server.serve(Calculator, {
        ...calculatorImpl,
        fail: (): never => {
          throw new FerryError("OUT_OF_STOCK", "none left", { data: { sku: Symbol("sku") } });
        },
      });
      const client = await harness().runtime();
      const error = await rejection(client.call(Calculator.methods.fail, {}));
      expect(error).to.be.instanceOf(RemoteError);
      expect(error).to.include({ code: "OUT_OF_STOCK", message: "none left" });
      expect((error as FerryError).data).to.equal(undefined);
      expect((error as FerryError).droppedFields).to.deep.equal(["data"]);
    });
  });
}
