import { defaultDiscoveryWaitMs } from "../core/registry/discover.js";
import { CommandFailure } from "./cli-errors.js";
import type { CommandRun } from "./commands.js";
import { connectFromFlags, discoveryOptionsFromFlags } from "./cli-runtime.js";

/** `ferry ping <Service>`: each instance serving it, with its round trip; exit 1 when none answers. */
export const pingCommand: CommandRun = async ({ strings, booleans, positionals }) => {
  const service = positionals[0]!;
  const options = discoveryOptionsFromFlags(strings);
  const ferry = await connectFromFlags(strings);
  try {
    const replies = await ferry.ping(service, options);
    if (replies.length === 0) throw new CommandFailure(`no instance of ${service} answered within ${options.waitMs ?? defaultDiscoveryWaitMs} ms; is it served on this broker? (ferry services lists what is)`);
    if (booleans.has("json")) process.stdout.write(`${JSON.stringify(replies, null, 2)}\n`);
    else for (const reply of replies) process.stdout.write(`${service} instance ${reply.instanceId} on ${reply.host} pid ${reply.pid}: ${reply.roundTripMs.toFixed(3)} ms\n`);
  } finally {
    await ferry.close();
  }
  return 0;
};
