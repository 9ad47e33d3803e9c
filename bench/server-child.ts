// A benchmark server process: connects to the broker at argv[2] and serves the bench service.
import { connect } from "../connect.js";
import { addHandler, benchService } from "./bench-service.js";

const [url, durable, validate] = process.argv.slice(2);
const ferry = await connect({ url: url! });
await ferry.serve(benchService({ durable: durable === "durable", validate: validate === "validate" }), addHandler, { concurrency: 256 });
process.send?.({ ready: true });
process.on("message", () => {
  void ferry.close().then(() => process.exit(0));
});
