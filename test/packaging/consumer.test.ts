import { expect } from "chai";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cliPath } from "../codegen/support.js";
import { NatsServer, natsServerAvailable } from "../support/nats-server.js";
import { appDir, directoryBytes, exitOf, inApp, npmInstall, packAll, startInstalledBroker, tarballFiles, type PackageName } from "./packed-app.js";

// A user's view of Ferry: the packed tarballs, installed into fresh apps outside the repository.
describe("Ferry as installed from its packages", function () {
  this.timeout(600_000);
  let tarballs: Record<PackageName, string>;
  let removePacks: () => void;

  before(async () => {
    const packed = await packAll();
    tarballs = packed.tarballs;
    removePacks = () => rmSync(packed.dir, { recursive: true, force: true });
  });
  after(() => removePacks?.());

  describe("each tarball", () => {
    for (const name of ["ferry", "ferry-codegen"] as const) {
      it(`${name} holds dist (JS, .d.ts, source maps), README and LICENSE only`, async () => {
        const files = await tarballFiles(tarballs[name]);
        const strays = files.filter((file) => !/^(package\.json|README\.md|LICENSE|dist\/.+\.(js|d\.ts|js\.map|d\.ts\.map))$/.test(file));
        expect(strays, `files outside dist: ${strays.join(", ")}`).to.deep.equal([]);
        expect(files.filter((file) => /(^|\/)(test|tests|bench|examples|fixtures)\//.test(file))).to.deep.equal([]);
        expect(files).to.include.members(["README.md", "LICENSE", "dist/index.js", "dist/index.d.ts", "dist/index.js.map"]);
        if (name === "ferry") expect(files).to.include.members(["dist/cli/main.js", "dist/broker/index.js", "dist/transports/nats/index.js", "dist/transports/rabbitmq/index.js", "dist/redis/index.js", "dist/postgres/index.js"]);
        else expect(files).to.include.members(["dist/codegen-cli.js", "dist/codegen-cli.d.ts"]);
      });
    }
  });

  describe("an app that only runs services (ferry alone)", () => {
    let app: { dir: string; remove: () => void };
    before(async () => {
      app = appDir("runtime");
      writeFileSync(join(app.dir, "package.json"), JSON.stringify({ name: "runtime-app", private: true, type: "module", dependencies: { ferry: `file:${tarballs.ferry}` } }, null, 2));
      await npmInstall(app.dir);
    });
    after(() => app?.remove());

    it("installs no codegen, TypeScript, NATS client or unused package, and its files weigh under 12 MB", () => {
      for (const absent of ["ts-morph", "typescript", "@ts-morph/common", "nats", "amqplib", "uuid", "ferry-codegen", "ioredis", "pg", "@opentelemetry/api", "@opentelemetry/sdk-metrics"]) {
        expect(existsSync(join(app.dir, "node_modules", absent)), `node_modules/${absent}`).to.equal(false);
      }
      const { onDisk, apparent } = directoryBytes(join(app.dir, "node_modules"));
      console.log(`      runtime-only node_modules: ${(onDisk / 1e6).toFixed(1)} MB on disk, ${(apparent / 1e6).toFixed(1)} MB of files`);
      // Files, not blocks: what `du` reports depends on the file system (small files take whole blocks).
      expect(apparent).to.be.below(12e6);
    });

    it("makes a call in-process with a hand-written definition", async () => {
      writeFileSync(
        join(app.dir, "call.mjs"),
        [
          'import { connect, defineService, method } from "ferry";',
          'const Echo = defineService("Echo", { echo: method() });',
          "const ferry = await connect();",
          "await ferry.serve(Echo, { echo: (request) => ({ echoed: request.text }) });",
          'console.log(JSON.stringify(await ferry.call(Echo.methods.echo, { text: "hi" })));',
          "await ferry.close();",
        ].join("\n"),
      );
      const { stdout } = await inApp(app.dir, process.execPath, ["call.mjs"]);
      expect(JSON.parse(stdout)).to.deep.equal({ echoed: "hi" });
    });

    it("names the package to install for codegen", async () => {
      const result = await exitOf(app.dir, join(app.dir, "node_modules/.bin/ferry"), ["codegen", "src/*.ts", "--out", "gen"]);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.include("npm install --save-dev ferry-codegen");
    });

    it("names the package to install for ferry broker --metrics-port", async () => {
      const result = await exitOf(app.dir, join(app.dir, "node_modules/.bin/ferry"), ["broker", "--port", "0", "--metrics-port", "0"]);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.include("npm install @opentelemetry/api");
    });

    it("names the package to install for nats://", async () => {
      writeFileSync(join(app.dir, "nats.mjs"), 'import { connect } from "ferry";\ntry { await connect({ url: "nats://127.0.0.1:4222" }); } catch (error) { console.log(`${error.code}: ${error.message}`); }\n');
      const { stdout } = await inApp(app.dir, process.execPath, ["nats.mjs"]);
      expect(stdout).to.match(/^INVALID_ARGUMENT: .*npm install nats/);
    });

    it("names the package to install for amqp://, and ferry/rabbitmq loads without it", async () => {
      writeFileSync(
        join(app.dir, "amqp.mjs"),
        'import { connect } from "ferry";\nimport { RabbitMqTransport, defaultAmqpUrl } from "ferry/rabbitmq";\nconsole.log(typeof RabbitMqTransport.connect, defaultAmqpUrl);\ntry { await connect({ url: "amqp://127.0.0.1:5672" }); } catch (error) { console.log(`${error.code}: ${error.message}`); }\n',
      );
      const { stdout } = await inApp(app.dir, process.execPath, ["amqp.mjs"]);
      expect(stdout).to.match(/^function amqp:\/\/guest:guest@127\.0\.0\.1:5672\nINVALID_ARGUMENT: .*npm install amqplib/);
    });

    it("names the package to install for ferry outbox relay", async () => {
      const result = await exitOf(app.dir, join(app.dir, "node_modules/.bin/ferry"), ["outbox", "relay", "--database", "postgres://127.0.0.1/none"]);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.include("npm install pg");
    });
  });

  describe("a project made by ferry init, with codegen and NATS installed", () => {
    let app: { dir: string; remove: () => void };
    before(async () => {
      app = appDir("init");
      const project = join(app.dir, "greeter-app");
      await inApp(app.dir, process.execPath, [cliPath, "init", project]);
      const manifest = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
      manifest.dependencies.ferry = `file:${tarballs.ferry}`;
      manifest.dependencies.nats = "2.29.3";
      manifest.dependencies.ioredis = "5.11.1";
      manifest.dependencies.pg = "8.23.1";
      manifest.devDependencies["ferry-codegen"] = `file:${tarballs["ferry-codegen"]}`;
      writeFileSync(join(project, "package.json"), JSON.stringify(manifest, null, 2));
      // What init generated is made again below by the installed codegen.
      rmSync(join(project, "src/generated"), { recursive: true });
      await npmInstall(project);
      app.dir = project;
    });
    after(() => app?.remove());

    it("runs npx ferry codegen from the installed packages, and --check passes after", async () => {
      await inApp(app.dir, "npx", ["ferry", "codegen", "src/services/*.ts", "--out", "src/generated"]);
      expect(existsSync(join(app.dir, "src/generated/greeter.client.ts"))).to.equal(true);
      expect(readFileSync(join(app.dir, "src/generated/greeter.client.ts"), "utf8")).to.include('from "ferry"');
      await inApp(app.dir, "npm", ["run", "codegen:check"]);
    });

    it("compiles under strict NodeNext and calls in-process (npm start)", async () => {
      const { stdout } = await inApp(app.dir, "npm", ["start"]);
      expect(stdout).to.include("Hello, world!");
    });

    it("passes its own test (npm test)", async () => {
      const { stdout } = await inApp(app.dir, "npm", ["test"]);
      expect(stdout).to.match(/# pass 2\b/);
      expect(stdout).to.match(/# fail 0\b/);
    });

    it("calls over a ferry broker started from the installed package", async () => {
      const broker = await startInstalledBroker(app.dir);
      try {
        const { stdout } = await inApp(app.dir, process.execPath, ["dist/main.js"], { FERRY_URL: broker.url });
        expect(stdout).to.include("Hello, world!");
      } finally {
        await broker.stop();
      }
    });

    it("shares idempotency on Redis and PostgreSQL through ferry/redis and ferry/postgres", async () => {
      const suffix = Math.random().toString(36).slice(2, 10);
      writeFileSync(
        join(app.dir, "stores.mjs"),
        [
          'import { Redis } from "ioredis";',
          'import pg from "pg";',
          'import { RedisIdempotencyStore } from "ferry/redis";',
          'import { PostgresIdempotencyStore, PostgresOutbox } from "ferry/postgres";',
          `const redis = new Redis("redis://127.0.0.1:6379");`,
          `const redisStore = await RedisIdempotencyStore.open(redis, { prefix: "ferry-packaging-${suffix}:" });`,
          'const statuses = [(await redisStore.claim("k", "f")).status, (await redisStore.claim("k", "other")).status];',
          'await redisStore.release("k");',
          "await redisStore.close();",
          "redis.disconnect();",
          'const pool = new pg.Pool({ connectionString: "postgres://postgres@127.0.0.1:5432/test" });',
          `const table = "ferry_packaging_${suffix}";`,
          "const pgStore = await PostgresIdempotencyStore.open(pool, { table });",
          'statuses.push((await pgStore.claim("k", "f")).status, (await pgStore.claim("k", "other")).status);',
          "await pgStore.close();",
          'const outbox = await PostgresOutbox.open(pool, { table: `${table}_outbox` });',
          "statuses.push(await outbox.pending());",
          'await pool.query(`DROP TABLE "${table}", "${table}_outbox"`);',
          "await pool.end();",
          "console.log(JSON.stringify(statuses));",
        ].join("\n"),
      );
      const { stdout } = await inApp(app.dir, process.execPath, ["stores.mjs"]);
      expect(JSON.parse(stdout)).to.deep.equal(["new", "mismatch", "new", "mismatch", 0]);
    });

    it("calls over NATS", async function () {
      if (!natsServerAvailable()) return this.skip();
      const nats = await NatsServer.start();
      try {
        const { stdout } = await inApp(app.dir, process.execPath, ["dist/main.js"], { FERRY_URL: nats.url });
        expect(stdout).to.include("Hello, world!");
      } finally {
        await nats.stop();
      }
    });
  });
});
