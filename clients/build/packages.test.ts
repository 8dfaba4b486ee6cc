// The SDK and the CLI as a user outside this repository gets them: `npm pack` (each package's prepack
// runs the shared build), the two tarballs installed into a fresh project in the OS temp folder with
// `npm install --offline` (neither package has runtime dependencies, so nothing comes from a registry
// or from the workspace), then against a live loopback server (real ONNX Runtime, tiny random-weight
// models): (a) plain .mjs importing the SDK, (b) `tsc --strict` on a TypeScript consumer against the
// packed types, (c) the installed `diffusion-text generate --steps 5`, locally and from `npm install -g`.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunningServer } from "@ldtext/server";
import { modelsFolder, startTestServer } from "@ldtext/server/testing";
import { DiffusionTextClient } from "../sdk/src/index.ts";

const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const KEY = "secret";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without npm's run-script variables (npm_config_*, npm_package_*) or loaders, so a nested npm or node sees no trace of the workspace. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== "NODE_OPTIONS" && k !== "INIT_CWD") env[k] = v;
  return { ...env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false", ...extra };
}

function run(cmd: string, args: string[], o: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env ?? cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 180_000);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

function ok(r: Run, what: string): Run {
  assert.equal(r.code, 0, `${what} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

interface Packed {
  name: string;
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

let tmp: string;
let project: string;
let packed: Record<"sdk" | "cli", Packed & { tarball: string }>;
let srv: RunningServer;

before(async () => {
  tmp = realpathSync(mkdtempSync(join(tmpdir(), "ldtext-packages-")));
  const tarballs = join(tmp, "tarballs");
  mkdirSync(tarballs);
  // `npm pack` as a maintainer runs it: prepack builds dist/ from the sources first.
  const pack = ok(await run("npm", ["pack", "--workspace", "clients/sdk", "--workspace", "clients/cli", "--pack-destination", tarballs, "--json"], { cwd: REPO }), "npm pack");
  const list = JSON.parse(pack.stdout) as Packed[];
  const byName = (n: string) => {
    const p = list.find((x) => x.name === n);
    assert.ok(p, `${n} was not packed`);
    return { ...p, tarball: join(tarballs, p.filename) };
  };
  packed = { sdk: byName("@ldtext/sdk"), cli: byName("@ldtext/cli") };

  project = join(tmp, "consumer");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }, null, 2));
  // --offline: the tarballs must install with nothing fetched (no runtime dependencies).
  ok(await run("npm", ["install", "--offline", "--no-audit", "--no-fund", packed.sdk.tarball, packed.cli.tarball], { cwd: project }), "npm install of the tarballs");

  srv = await startTestServer(await modelsFolder(), { API_KEYS: KEY, STREAM_EVERY: "1" });
});

after(async () => {
  await srv?.shutdown();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("packed @ldtext/sdk and @ldtext/cli, installed outside the workspace", () => {
  test("the tarballs hold the built package only: dist, README, package.json; no sources, tests or runtime dependencies", (t) => {
    const sdkFiles = packed.sdk.files.map((f) => f.path).sort();
    for (const f of ["package.json", "README.md", "dist/index.js", "dist/index.d.ts", "dist/generated/schema.d.ts", "dist/THIRD_PARTY_LICENSES.md"]) assert.ok(sdkFiles.includes(f), `SDK tarball lacks ${f}: ${sdkFiles.join(", ")}`);
    assert.deepEqual(sdkFiles.filter((f) => !/^(package\.json|README\.md|dist\/THIRD_PARTY_LICENSES\.md|dist\/[\w/-]+\.(js|d\.ts))$/.test(f)), [], "only the built files");
    const cliFiles = packed.cli.files.map((f) => f.path).sort();
    assert.deepEqual(cliFiles, ["README.md", "dist/THIRD_PARTY_LICENSES.md", "dist/diffusion-text.js", "package.json"]);
    assert.ok(packed.sdk.size < 40_000, `SDK tarball ${packed.sdk.size} B: something large slipped in`);

    const installed = (n: string) => JSON.parse(readFileSync(join(project, "node_modules", n, "package.json"), "utf8")) as Record<string, unknown>;
    const sdk = installed("@ldtext/sdk");
    assert.equal(sdk.private, undefined, "publishable");
    assert.equal(sdk.dependencies, undefined, "no runtime dependencies");
    assert.deepEqual(sdk.exports, { ".": { types: "./dist/index.d.ts", import: "./dist/index.js" }, "./package.json": "./package.json" });
    assert.equal(typeof sdk.version, "string");
    assert.equal(typeof sdk.license, "string");
    assert.equal(installed("@ldtext/cli").dependencies, undefined, "the CLI installs alone");
    // The packed types are the committed generated ones, which sdk/drift.test.ts holds to the server.
    assert.equal(readFileSync(join(project, "node_modules/@ldtext/sdk/dist/generated/schema.d.ts"), "utf8"), readFileSync(join(REPO, "clients/sdk/src/generated/schema.d.ts"), "utf8"));
    t.diagnostic(`@ldtext/sdk ${packed.sdk.size} B packed, ${packed.sdk.unpackedSize} B unpacked; @ldtext/cli ${packed.cli.size} B packed`);
  });

  test("the client path is browser-safe: no Node built-in, require or process.* outside a typeof guard", () => {
    const js = readFileSync(join(project, "node_modules/@ldtext/sdk/dist/index.js"), "utf8");
    assert.doesNotMatch(js, /from\s*["']node:|import\(["']node:|\brequire\(/);
    assert.doesNotMatch(js, /from\s*["'](fs|path|os|http|https|stream|util|child_process|url|buffer|events)["']/);
    const unguarded = js.split("\n").filter((l) => /\bprocess\./.test(l) && !/typeof process/.test(l));
    assert.deepEqual(unguarded, []);
    const notice = readFileSync(join(project, "node_modules/@ldtext/sdk/dist/THIRD_PARTY_LICENSES.md"), "utf8");
    assert.match(notice, /## openapi-fetch@[\d.]+ \(MIT\)/);
    assert.match(notice, /## eventsource-parser@[\d.]+ \(MIT\)/);
  });

  test("(a) plain .mjs imports the installed SDK and calls the live server", async () => {
    writeFileSync(
      join(project, "consumer.mjs"),
      `import { ApiError, DiffusionTextClient } from "@ldtext/sdk";
const [url, key] = process.argv.slice(2);
const client = new DiffusionTextClient({ baseUrl: url, apiKey: key });
const r = await client.generate({ steps: 4, seed: 11, n: 2 });
const events = [];
let streamed;
for await (const e of client.generateStream({ steps: 4, seed: 11, n: 2 })) {
  events.push(e.type);
  if (e.type === "done") streamed = e.result.texts;
}
let refused;
try {
  await new DiffusionTextClient({ baseUrl: url }).generate({ steps: 2 });
} catch (e) {
  refused = { apiError: e instanceof ApiError, status: e.status, code: e.code };
}
const health = await client.health();
console.log(JSON.stringify({ resolved: import.meta.resolve("@ldtext/sdk"), texts: r.texts, seed: r.seed, steps: r.steps, streamed, events, refused, ready: health.ready }));
`,
    );
    const out = ok(await run(process.execPath, ["consumer.mjs", srv.url, KEY], { cwd: project, timeoutMs: 60_000 }), "node consumer.mjs");
    const got = JSON.parse(out.stdout) as { resolved: string; texts: string[]; seed: number; steps: number; streamed: string[]; events: string[]; refused: { apiError: boolean; status: number; code: string }; ready: boolean };
    assert.equal(fileURLToPath(got.resolved), join(project, "node_modules/@ldtext/sdk/dist/index.js"), "resolved to the installed package's built JS");
    assert.ok(!fileURLToPath(got.resolved).startsWith(REPO + sep));
    // The same request through the SDK's sources gives the same texts: the packed build is the SDK.
    const fromSource = await new DiffusionTextClient({ baseUrl: srv.url, apiKey: KEY }).generate({ steps: 4, seed: 11, n: 2 });
    assert.deepEqual(got.texts, fromSource.texts);
    assert.equal(got.seed, 11);
    assert.equal(got.steps, 4);
    assert.deepEqual(got.streamed, got.texts, "the stream's result equals the unary one");
    assert.equal(got.events.at(-1), "done");
    assert.ok(got.events.length >= 3 && got.events.slice(0, -1).every((e) => e === "step"), `step events, then done: ${got.events.join(" ")}`);
    assert.deepEqual(got.refused, { apiError: true, status: 401, code: "unauthorized" });
    assert.equal(got.ready, true);
  });

  test("(b) a TypeScript consumer type-checks with tsc --strict against the packed types (nodenext and bundler resolution)", async () => {
    writeFileSync(
      join(project, "consumer.ts"),
      `import { ApiError, DiffusionTextClient, TimeoutError } from "@ldtext/sdk";
import type { GenerateRequest, GenerateResponse, Sampler, StreamEvent, SummarizeResponse, components, paths } from "@ldtext/sdk";

const client = new DiffusionTextClient({ baseUrl: "http://127.0.0.1:8080", apiKey: "k", timeoutMs: 60_000, retries: 2 });
const sampler: Sampler = "ode";
const req: GenerateRequest = { steps: 20, seed: 7, n: 2, sampler };

export async function use(signal: AbortSignal): Promise<string[]> {
  const r: GenerateResponse = await client.generate(req, { signal, requestId: "abc" });
  const texts: string[] = r.texts;
  const total: number = r.timings.totalMs;
  const s: SummarizeResponse = await client.summarize({ document: "A text.", guidance: 2 });
  const truncated: boolean = s.document.truncated;
  for await (const e of client.generateStream({ steps: 5 })) {
    const ev: StreamEvent<GenerateResponse> = e;
    if (ev.type === "step") texts.push(...ev.texts, String(ev.step / ev.steps));
    else texts.push(...ev.result.texts);
  }
  const h = await client.health();
  const models: string[] = (await client.models()).models.map((m) => m.id + m.version);
  try {
    await client.generate();
  } catch (e) {
    if (e instanceof ApiError) texts.push(e.code, String(e.status), e.requestId ?? "", ...e.fields.map((f) => f.path));
    else if (e instanceof TimeoutError) texts.push(String(e.timeoutMs));
  }
  // The schema types are real, not any: each of these must be an error.
  // @ts-expect-error steps is a number
  await client.generate({ steps: "five" });
  // @ts-expect-error no such sampler
  await client.generate({ sampler: "euler" });
  // @ts-expect-error summarize needs a document
  await client.summarize({ steps: 3 });
  // @ts-expect-error baseUrl is required
  new DiffusionTextClient({});
  type Route = keyof paths;
  const route: Route = "/generate";
  const schemaName: keyof components["schemas"] = "GenerateRequest";
  return [...texts, String(total), String(truncated), String(h.ready), ...models, route, schemaName];
}
`,
    );
    const base = { strict: true, noEmit: true, skipLibCheck: false, target: "ES2022", lib: ["ES2022", "DOM", "DOM.Iterable"], types: [], noUnusedLocals: true, exactOptionalPropertyTypes: true };
    for (const [name, o] of [
      ["nodenext", { module: "NodeNext", moduleResolution: "NodeNext" }],
      ["bundler", { module: "ESNext", moduleResolution: "Bundler" }],
    ] as const) {
      writeFileSync(join(project, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions: { ...base, ...o }, files: ["consumer.ts"] }, null, 2));
      const r = await run(process.execPath, [TSC, "-p", `tsconfig.${name}.json`, "--strict"], { cwd: project, timeoutMs: 120_000 });
      assert.equal(r.code, 0, `tsc --strict (${name}) failed:\n${r.stdout}${r.stderr}`);
    }
    // And a mistake is caught: the check can fail.
    writeFileSync(join(project, "wrong.ts"), `import { DiffusionTextClient } from "@ldtext/sdk";\nexport const p = new DiffusionTextClient({ baseUrl: "x" }).generate({ n: "two" });\n`);
    writeFileSync(join(project, "tsconfig.wrong.json"), JSON.stringify({ compilerOptions: { ...base, module: "NodeNext", moduleResolution: "NodeNext" }, files: ["wrong.ts"] }));
    const wrong = await run(process.execPath, [TSC, "-p", "tsconfig.wrong.json"], { cwd: project, timeoutMs: 120_000 });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stdout, /wrong\.ts.*error TS2322/);
  });

  test("(c) the installed `diffusion-text generate --steps 5` works, from the project and from npm install -g", async () => {
    const bin = join(project, "node_modules/.bin/diffusion-text");
    const env = cleanEnv({ DIFFUSION_TEXT_API_KEY: KEY });
    const local = ok(await run(bin, ["generate", "--steps", "5", "--seed", "3", "--url", srv.url], { cwd: project, env, timeoutMs: 60_000 }), "diffusion-text generate");
    assert.equal(local.stdout.split("\n").filter(Boolean).length, 1, "one text on stdout");
    assert.match(local.stderr, /tiny-generate@1 · ddim · 5 steps · seed 3 .* total \d+ ms/);
    const expected = await new DiffusionTextClient({ baseUrl: srv.url, apiKey: KEY }).generate({ steps: 5, seed: 3 });
    assert.equal(local.stdout, expected.texts[0] + "\n");

    // A global install of the CLI tarball alone (its own prefix, offline): no unpublished dependency needed.
    const prefix = join(tmp, "global");
    ok(await run("npm", ["install", "-g", "--offline", "--prefix", prefix, packed.cli.tarball], { cwd: tmp }), "npm install -g");
    const global = ok(await run(join(prefix, "bin/diffusion-text"), ["generate", "--steps", "5", "--seed", "3", "--url", srv.url], { cwd: tmp, env, timeoutMs: 60_000 }), "global diffusion-text");
    assert.equal(global.stdout, local.stdout);
    const refused = await run(join(prefix, "bin/diffusion-text"), ["generate", "--steps", "5", "--url", srv.url], { cwd: tmp, env: cleanEnv(), timeoutMs: 60_000 });
    assert.equal(refused.code, 3, "exit code 3: refused (no API key)");
    assert.match(refused.stderr, /401 unauthorized/);
    const help = ok(await run(join(prefix, "bin/diffusion-text"), ["--help"], { cwd: tmp, env }), "diffusion-text --help");
    assert.match(help.stdout, /^diffusion-text — client for the ldtext inference server/);
  });
});
