import { defaultBrokerUrl } from "../broker/server/broker-address.js";

/**
 * The files `ferry init` writes: a project that builds, runs and tests at once. `codegen` fills
 * `src/generated/` from `src/services/` (and `npm run build` regenerates it first).
 */
export function initTemplates(name: string, version: string): Record<string, string> {
  const manifest = {
    name,
    version: "0.1.0",
    private: true,
    type: "module",
    scripts: {
      codegen: "ferry codegen 'src/services/*.ts' --out src/generated",
      "codegen:check": "ferry codegen 'src/services/*.ts' --out src/generated --check",
      prebuild: "npm run codegen",
      build: "tsc -p tsconfig.json",
      start: "npm run build && node dist/main.js",
      test: "npm run build && node --test dist/test/",
    },
    dependencies: { ferry: `^${version}` },
    devDependencies: { "ferry-codegen": `^${version}`, "@types/node": "^20.19.0", typescript: "~6.0.3" },
  };
  return {
    "package.json": `${JSON.stringify(manifest, null, 2)}\n`,
    "tsconfig.json": tsconfig,
    ".gitignore": "node_modules/\ndist/\n",
    "src/services/greeter.ts": service,
    "src/server.ts": server,
    "src/client.ts": client,
    "src/main.ts": main,
    "src/test/greeter.test.ts": test,
  };
}

const tsconfig = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "types": ["node"],
    "rootDir": "src",
    "outDir": "dist",
    "sourceMap": true,
    "skipLibCheck": true
  },
  "include": ["src"]
}
`;

const service = `export interface GreetRequest {
  name: string;
}

export interface Greeting {
  message: string;
  /** How many greetings this server has made, this one included. */
  count: number;
}

/** Greets people. \`ferry codegen\` turns this interface into a client and handlers. */
export interface Greeter {
  /** @timeout 2s @retries 2 */
  greet(req: GreetRequest): Promise<Greeting>;
}
`;

const server = `import type { Ferry } from "ferry";
import { serveGreeter } from "./generated/greeter.handlers.js";

/** Serves Greeter on \`ferry\`: the handler is type-checked against the interface. */
export async function startGreeter(ferry: Ferry): Promise<void> {
  let count = 0;
  await serveGreeter(ferry, {
    greet: ({ name }) => ({ message: \`Hello, \${name}!\`, count: ++count }),
  });
}
`;

const client = `import type { Ferry } from "ferry";
import { GreeterClient } from "./generated/greeter.client.js";

/** Asks the Greeter service, wherever it runs, to greet \`name\`. */
export async function greet(ferry: Ferry, name: string): Promise<string> {
  const greeter = new GreeterClient(ferry);
  const { message } = await greeter.greet({ name });
  return message;
}
`;

const main = `import { connect } from "ferry";
import { greet } from "./client.js";
import { startGreeter } from "./server.js";

// The in-process broker by default; FERRY_URL=${defaultBrokerUrl} (\`npx ferry broker\`) or
// nats://127.0.0.1:4222 to run the same code over a shared broker.
const url = process.env.FERRY_URL;
const ferry = await connect(url === undefined ? {} : { url });
await startGreeter(ferry);
console.log(await greet(ferry, "world"));
await ferry.close();
`;

const test = `import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect, type Ferry, InvalidArgumentError } from "ferry";
import { greet } from "../client.js";
import { GreeterClient } from "../generated/greeter.client.js";
import { startGreeter } from "../server.js";

describe("Greeter", () => {
  let ferry: Ferry;
  before(async () => {
    ferry = await connect();
    await startGreeter(ferry);
  });
  after(() => ferry.close());

  it("greets by name", async () => {
    assert.equal(await greet(ferry, "Ada"), "Hello, Ada!");
  });

  it("refuses a request that is not what its type says", async () => {
    const greeter = new GreeterClient(ferry);
    await assert.rejects(greeter.greet({ name: 42 } as never), InvalidArgumentError);
  });
});
`;
