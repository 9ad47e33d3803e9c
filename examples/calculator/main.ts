// The smallest Ferry program: a typed service and its caller in one process, on the in-process
// embedded broker. `npm run example:calculator` runs it. `calculator.ts` is the service as a plain interface;
// `generated/` is what `ferry codegen` made of it (client, handlers, validators, definition).
import { connect, FerryError, type CallContext } from "../../packages/ferry/src/index.js";
import { CalculatorClient } from "./generated/calculator.client.js";
import { serveCalculator } from "./generated/calculator.handlers.js";

const log = (line: string) => console.log(line);

const ferry = await connect();

// The consumer side: one implementation per method, type-checked against the interface.
let charges = 0;
let dropNextReply = true;
await serveCalculator(ferry, {
  add: ({ a, b }) => ({ sum: a + b }),
  divide: ({ a, b }) => {
    if (b === 0) throw new FerryError("DIVISION_BY_ZERO", "cannot divide by zero", { data: { a } });
    return { quotient: a / b };
  },
  charge: async ({ account, cents }, context: CallContext) => {
    charges++;
    log(`  [server] charging ${account} ${cents} cents (attempt ${context.attempt}, run #${charges})`);
    if (dropNextReply) {
      // Simulate a reply lost on the way back: the caller times out and retries.
      dropNextReply = false;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    return { receipt: `rcpt-${account}-${cents}` };
  },
  cleared: ({ by }) => log(`  [server] event: calculator cleared by ${by}`),
});

// The producer side: the generated client, typed by the interface.
const calculator = new CalculatorClient(ferry);
log("1. a call and its reply");
const { sum } = await calculator.add({ a: 2, b: 40 });
log(`  add(2, 40) = ${sum}`);

log("2. a handler's error reaches the caller with its code and data");
try {
  await calculator.divide({ a: 1, b: 0 });
} catch (error) {
  const { code, message, data } = error as FerryError;
  log(`  divide(1, 0) failed: ${code}: ${message} ${JSON.stringify(data)}`);
}

log("3. bad input is refused by the generated validator before the handler runs");
try {
  await calculator.divide({ a: "one", b: 2 } as never);
} catch (error) {
  log(`  ${(error as FerryError).code}: ${(error as Error).message}`);
}

log("4. a retried call runs once: the retry joins the first run and gets its reply");
const { receipt } = await calculator.charge({ account: "acct-7", cents: 1250 });
log(`  charge -> ${receipt}; the handler ran ${charges} time(s)`);

log("5. a fire-and-forget event, confirmed by the broker");
await calculator.cleared({ by: "demo" });
await new Promise((resolve) => setImmediate(resolve));

log("6. a call to a service nobody serves fails at once");
try {
  await ferry.call("Weather", "forecast", { city: "Oslo" });
} catch (error) {
  log(`  ${(error as FerryError).code}: ${(error as Error).message}`);
}

await new Promise((resolve) => setImmediate(resolve));
const stats = await ferry.stats();
const server = stats.servers["Calculator#Calculator"]!;
log(`7. stats: handled ${server.handled}, joined ${server.joined}, replayed ${server.replayed}, refused ${server.refused}; pending calls ${stats.client.pending}`);

await ferry.close();
log("done");
