// A stream server in a child process, to be killed mid-stream: connects to the broker at argv[2]
// (ferry:// or nats://), serves Counter with a generator that never ends, and reports over IPC
// once it serves.
import { connect } from "../../packages/ferry/src/connect.js";
import { Counter } from "./stream-services.js";

const url = process.argv[2]!;
const ferry = await connect({ url });
await ferry.serve(Counter, {
  async *count() {
    for (let n = 0; ; n++) {
      yield { n };
    }
  },
});
process.send?.({ serving: true });
