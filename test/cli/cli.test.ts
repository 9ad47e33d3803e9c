import { expect } from "chai";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commands } from "../../packages/ferry/src/cli/commands.js";
import { connect } from "../../packages/ferry/src/connect.js";
import { startBroker, type RunningBroker } from "../../packages/ferry/src/broker/server/broker-server.js";
import { cliPath, repoRoot } from "../codegen/support.js";
import { freePort } from "../support/free-port.js";
import { useNatsServer } from "../support/nats-server.js";
import { expectOneLineFailure, runFerry } from "../support/run-ferry.js";

/** The built `ferry` binary, run as a user would (see `runFerry`). */
const ferry = runFerry;

describe("ferry CLI: help, version and usage", () => {
  it("answers --help with every command and exits 0", async () => {
    const run = await ferry(["--help"]);
    expect(run.status).to.equal(0);
    for (const name of Object.keys(commands)) expect(run.stdout).to.include(`  ${name}  `.trimEnd());
  });

  it("answers --version with the package's version", async () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
    const run = await ferry(["--version"]);
    expect(run.status).to.equal(0);
    expect(run.stdout.trim()).to.equal(manifest.version);
  });

  for (const [name, { spec }] of Object.entries(commands)) {
    it(`answers ${name} --help with every flag and its default, and exits 0`, async () => {
      const run = await ferry([name, "--help"]);
      expect(run.status, run.stderr).to.equal(0);
      expect(run.stdout).to.include(`usage: ferry ${name}`);
      for (const [flag, { defaultText }] of Object.entries(spec.flags)) {
        const row = run.stdout.split("\n").find((line) => line.includes(`--${flag} `) || line.endsWith(`--${flag}`) || line.includes(`--${flag}  `));
        expect(row, `--${flag} in ${name} --help`).to.not.equal(undefined);
        if (defaultText !== undefined) expect(row).to.include(`(default: ${defaultText})`);
      }
    });
  }

  it("names the closest flag for an unknown one, and exits 2", async () => {
    const run = await ferry(["broker", "--prot", "7400"]);
    expect(run.status).to.equal(2);
    expect(run.stderr).to.include("unknown option --prot; did you mean --port?");
    expect(run.stderr).to.include("ferry broker --help");
  });

  it("names the closest command for an unknown one, and exits 2", async () => {
    const run = await ferry(["brokr"]);
    expect(run.status).to.equal(2);
    expect(run.stderr).to.include('unknown command "brokr"; did you mean broker?');
  });

  it("refuses a flag without its value, and a value given to a switch, with exit 2", async () => {
    expect((await ferry(["broker", "--port"])).stderr).to.include("--port needs a value");
    const run = await ferry(["stats", "--json=yes"]);
    expect(run.status).to.equal(2);
    expect(run.stderr).to.include("--json takes no value");
  });

  it("refuses a URL it cannot use with exit 2, naming the schemes it takes", async () => {
    const run = await ferry(["stats", "--url", "http://127.0.0.1:7400"]);
    expect(run.status).to.equal(2);
    expect(run.stderr).to.include("--url must be ferry://host:port, ferrys://host:port or nats://host:port");
  });
});

describe("ferry CLI: expected failures print one line and exit 1", () => {
  let broker: RunningBroker | undefined;
  let blocker: Server | undefined;
  afterEach(async () => {
    await broker?.close();
    broker = undefined;
    await new Promise((resolve) => (blocker === undefined ? resolve(undefined) : blocker.close(resolve)));
    blocker = undefined;
  });

  it("broker unreachable: says to start one", async () => {
    const port = await freePort();
    const line = expectOneLineFailure(await ferry(["stats", "--url", `ferry://127.0.0.1:${port}`]), "stats");
    expect(line).to.include(`127.0.0.1:${port}`).and.to.include("ferry broker");
  });

  it("refused token: says how to pass the right one", async () => {
    broker = await startBroker({ port: 0, token: "right", log: () => undefined });
    const line = expectOneLineFailure(await ferry(["stats", "--url", broker.url, "--token", "wrong"]), "stats");
    expect(line).to.include("--token");
  });

  it("port in use: names the port and says to pick another", async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    const line = expectOneLineFailure(await ferry(["broker", "--port", String(port)]), "broker");
    expect(line).to.include(`127.0.0.1:${port} is in use`).and.to.include("--port");
  });
});

describe("ferry stats", () => {
  const natsUrl = useNatsServer();

  it("lists a running broker's topics", async () => {
    const running = await startBroker({ port: 0, log: () => undefined });
    const client = await connect({ url: running.url });
    try {
      await client.transport.declareTopic("svc.CliProbe", { partitions: 2 });
      const run = await ferry(["stats", "--url", running.url, "--json"]);
      expect(run.status, run.stderr).to.equal(0);
      const stats = JSON.parse(run.stdout) as { topics: { name: string; partitions: unknown[] }[] };
      expect(stats.topics.find((topic) => topic.name === "svc.CliProbe")?.partitions).to.have.length(2);
    } finally {
      await client.close();
      await running.close();
    }
  });

  it("works on NATS: lists the durable topics JetStream keeps", async () => {
    const client = await connect({ url: natsUrl(), nats: { mode: "durable" } });
    try {
      await client.transport.declareTopic("svc.CliProbe", { durable: true });
      const run = await ferry(["stats", "--url", natsUrl(), "--json"]);
      expect(run.status, run.stderr).to.equal(0);
      const stats = JSON.parse(run.stdout) as { topics: { name: string }[] };
      expect(stats.topics.map((topic) => topic.name)).to.include("svc.CliProbe");
    } finally {
      await client.close();
    }
  });
});

describe("ferry init", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "ferry-init-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("scaffolds a project with its service, generated code, server, client and test", async () => {
    const run = await ferry(["init", join(dir, "my-app")]);
    expect(run.status, run.stderr).to.equal(0);
    const manifest = JSON.parse(readFileSync(join(dir, "my-app/package.json"), "utf8")) as { name: string; scripts: Record<string, string> };
    expect(manifest.name).to.equal("my-app");
    expect(Object.keys(manifest.scripts)).to.include.members(["codegen", "build", "start", "test"]);
    for (const file of ["tsconfig.json", "src/services/greeter.ts", "src/server.ts", "src/client.ts", "src/main.ts", "src/test/greeter.test.ts", "src/generated/greeter.client.ts", "src/generated/greeter.handlers.ts"]) {
      expect(existsSync(join(dir, "my-app", file)), file).to.equal(true);
    }
  });

  it("refuses a directory that is not empty, and leaves it as it was", async () => {
    mkdirSync(join(dir, "taken"));
    writeFileSync(join(dir, "taken/notes.txt"), "mine");
    const line = expectOneLineFailure(await ferry(["init", join(dir, "taken")]), "init");
    expect(line).to.include("not empty");
    expect(readFileSync(join(dir, "taken/notes.txt"), "utf8")).to.equal("mine");
    expect(existsSync(join(dir, "taken/package.json"))).to.equal(false);
  });
});
