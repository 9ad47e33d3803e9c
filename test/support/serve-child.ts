// A serving process for tests: connects to the broker at argv[2], serves Calculator, reports
// over IPC once it serves, and closes its runtime cleanly (leaving every group) on SIGTERM.
import { connect } from "../../packages/ferry/src/connect.js";
import { Calculator, calculatorImpl } from "./services.js";

const ferry = await connect({ url: process.argv[2]! });
await ferry.serve(Calculator, calculatorImpl);
process.send?.({ serving: true });
process.on("SIGTERM", () => {
  void ferry.close().then(() => process.exit(0));
});
