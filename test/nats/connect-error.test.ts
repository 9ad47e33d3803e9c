import { expect } from "chai";
import { connect } from "../../packages/ferry/src/connect.js";
import { UnavailableError } from "../../packages/ferry/src/core/errors.js";
import { rejection } from "../support/wait.js";

// No nats-server needed: the point is that nothing listens on port 1.
describe("nats connect to a server that is not there", () => {
  it("fails with UnavailableError naming the URL, with nats.js's error as its cause", async () => {
    const error = await rejection(connect({ url: "nats://127.0.0.1:1" }));
    expect(error).to.be.instanceOf(UnavailableError);
    expect(error.code).to.equal("UNAVAILABLE");
    expect(error.message).to.equal("nats: cannot connect to nats://127.0.0.1:1: CONNECTION_REFUSED");
    expect((error.cause as { code?: string }).code).to.equal("CONNECTION_REFUSED");
  });

  it("names every server tried, and never the password a URL carries", async () => {
    const error = await rejection(connect({ url: "nats://alice:s3cret@127.0.0.1:1", nats: { servers: ["127.0.0.1:2"] } }));
    expect(error).to.be.instanceOf(UnavailableError);
    expect(error.message).to.contain("nats://alice:***@127.0.0.1:1, 127.0.0.1:2");
    expect(error.message).not.to.contain("s3cret");
  });
});
