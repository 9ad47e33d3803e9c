import { expect } from "chai";
import { Broker } from "../../packages/ferry/src/broker/broker.js";
import { InvalidArgumentError } from "../../packages/ferry/src/core/errors.js";
import { InProcessTransport } from "../../packages/ferry/src/transports/in-process/in-process-transport.js";
import { rejection } from "../support/wait.js";

describe("in-process declareTopic from plain JavaScript", () => {
  let broker: Broker;
  let transport: InProcessTransport;
  beforeEach(() => {
    broker = new Broker();
    transport = new InProcessTransport(broker);
  });
  afterEach(async () => {
    await transport.close();
    broker.close();
  });

  it("refuses an option of the wrong type with InvalidArgumentError naming it, and declares nothing", async () => {
    const error = await rejection(transport.declareTopic("jobs", { partitions: 2, durable: "no" } as never));
    expect(error).to.be.instanceOf(InvalidArgumentError);
    expect(error.message).to.equal('topic option durable must be a boolean, got "no"');
    expect((await transport.stats()).topics.map((topic) => topic.name)).to.not.include("jobs");
  });

  it("refuses options that are not an object", async () => {
    expect(await rejection(transport.declareTopic("jobs", null as never))).to.be.instanceOf(InvalidArgumentError);
  });

  it("declares with the options it knows, leaving other keys out", async () => {
    await transport.declareTopic("jobs", { partitions: 3, colour: "blue" } as never);
    const topic = (await transport.stats()).topics.find((candidate) => candidate.name === "jobs");
    expect(topic?.partitions).to.have.length(3);
  });
});
