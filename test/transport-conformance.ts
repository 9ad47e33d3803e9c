import { describeCalls } from "./conformance/calls.js";
import { describeDelivery } from "./conformance/delivery.js";
import { describeDiscovery } from "./conformance/discovery.js";
import { describeErrors } from "./conformance/errors.js";
import type { ConformanceTarget } from "./conformance/harness.js";
import { describeIdempotency } from "./conformance/idempotency.js";
import { describeLimits } from "./conformance/limits.js";
import { describeStreamBatches } from "./conformance/stream-batches.js";
import { describeStreamByteWindow } from "./conformance/stream-byte-window.js";
import { describeStreams } from "./conformance/streams.js";
import { describeValidation } from "./conformance/validation.js";

export type { ConformanceBroker, ConformanceTarget } from "./conformance/harness.js";

/**
 * The transport conformance suite: written once, run against every transport. A transport is
 * conformant when all of it passes; a transport that cannot do something must say so by name in
 * its own test file, not by skipping here.
 */
export function transportConformance(target: ConformanceTarget): void {
  describe(`transport conformance: ${target.name}`, () => {
    describeCalls(target);
    describeErrors(target);
    describeIdempotency(target);
    describeDelivery(target);
    describeLimits(target);
    describeValidation(target);
    describeDiscovery(target);
    describeStreams(target);
    describeStreamBatches(target);
    describeStreamByteWindow(target);
  });
}
