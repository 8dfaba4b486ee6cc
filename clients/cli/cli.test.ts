// The CLI against a live loopback server (real ONNX Runtime, random-weight tiny models): commands,
// --json, --stream, stdin for summarize, errors and exit codes; one run as a process (main.ts, what
// `npm run cli` runs). The packed, installed bin is tested in clients/build/packages.test.ts.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { Readable } from "node:stream";
import type { RunningServer } from "@ldtext/server";
import { modelsFolder, startTestServer } from "@ldtext/server/testing";
import { EXIT, runCli } from "./src/index.ts";

const DOC = "The council voted to rebuild the bridge after the storm. Work starts in May and should take a year.";

async function cli(argv: string[], o: { stdin?: string; tty?: boolean; env?: Record<string, string> } = {}) {
  let stdout = "";
  let stderr = "";
  const stdin = Object.assign(Readable.from(o.stdin === undefined ? [] : [Buffer.from(o.stdin)]), { isTTY: o.stdin === undefined ? true : undefined });
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: o.tty ?? false, columns: 60 },
    stderr: { write: (s: string) => (stderr += s) },
    stdin,
    env: o.env ?? {},
  });
  return { code, stdout, stderr };
}

let srv: RunningServer;
let url: string;
before(async () => {
  srv = await startTestServer(await modelsFolder(), { API_KEYS: "secret", STREAM_EVERY: "2" });
  url = srv.url;
});
after(() => srv.shutdown());

describe("diffusion-text", () => {
  test("generate --json: the server's response, seeded and reproducible", async () => {
    const a = await cli(["generate", "--url", url, "--api-key", "secret", "--steps", "6", "--seed", "7", "--n", "2", "--json"]);
    assert.equal(a.code, EXIT.ok, a.stderr);
    const r = JSON.parse(a.stdout) as { texts: string[]; seed: number; steps: number };
    assert.equal(r.texts.length, 2);
    assert.equal(r.seed, 7);
    assert.equal(r.steps, 6);
    const b = await cli(["generate", "--steps", "6", "--seed", "7", "--n", "2", "--json"], { env: { DIFFUSION_TEXT_URL: url, DIFFUSION_TEXT_API_KEY: "secret" } });
    assert.deepEqual((JSON.parse(b.stdout) as { texts: string[] }).texts, r.texts);
  });

  test("generate (plain): texts on stdout, details on stderr", async () => {
    const json = JSON.parse((await cli(["generate", "--url", url, "--api-key", "secret", "--steps", "4", "--seed", "3", "--json"])).stdout) as { texts: string[] };
    const p = await cli(["generate", "--url", url, "--api-key", "secret", "--steps", "4", "--seed", "3"]);
    assert.equal(p.code, EXIT.ok);
    assert.equal(p.stdout, json.texts[0] + "\n");
    assert.match(p.stderr, /tiny-generate@1 · ddim · 4 steps · seed 3 .* total \d+ ms/);
  });

  test("summarize reads stdin; --stream --json prints step events then done", async () => {
    const s = await cli(["summarize", "--url", url, "--api-key", "secret", "--steps", "6", "--seed", "1", "--guidance", "1.5", "--stream", "--json"], { stdin: DOC });
    assert.equal(s.code, EXIT.ok, s.stderr);
    const events = s.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; step?: number; result?: { guidance: number; document: { tokens: number } } });
    assert.ok(events.filter((e) => e.type === "step").length >= 2);
    const done = events.at(-1);
    assert.equal(done?.type, "done");
    assert.equal(done?.result?.guidance, 1.5);
    assert.ok((done?.result?.document.tokens ?? 0) > 0);
  });

  test("--stream on a terminal rewrites the block in place, then prints the text", async () => {
    const s = await cli(["generate", "--url", url, "--api-key", "secret", "--steps", "8", "--seed", "2", "--stream"], { tty: true });
    assert.equal(s.code, EXIT.ok, s.stderr);
    assert.ok(s.stdout.includes("\x1b[2K[#####---------------] step 2/8"), "the first step event drawn");
    assert.ok(s.stdout.includes("\x1b[2F"), "moved up over the previous block");
    const plain = await cli(["generate", "--url", url, "--api-key", "secret", "--steps", "8", "--seed", "2"]);
    assert.ok(s.stdout.endsWith(plain.stdout), "the final text follows the live view");
  });

  test("errors: exit codes and messages", async () => {
    const noKey = await cli(["generate", "--url", url, "--steps", "2"]);
    assert.equal(noKey.code, EXIT.refused);
    assert.match(noKey.stderr, /401 .*--api-key/);
    const bad = await cli(["generate", "--url", url, "--api-key", "secret", "--steps", "100000", "--json"]);
    assert.equal(bad.code, EXIT.refused);
    assert.match(bad.stderr, /422 validation_error: steps/);
    assert.equal((JSON.parse(bad.stdout) as { error: { status: number } }).error.status, 422);
    const empty = await cli(["summarize", "--url", url, "--api-key", "secret"], { stdin: "  \n" });
    assert.equal(empty.code, EXIT.usage);
    assert.match(empty.stderr, /empty/);
    const tty = await cli(["summarize", "--url", url, "--api-key", "secret"]);
    assert.equal(tty.code, EXIT.usage);
    assert.match(tty.stderr, /stdin/);
    const slow = await cli(["generate", "--url", url, "--api-key", "secret", "--steps", "200", "--n", "16", "--timeout", "30"]);
    assert.equal(slow.code, EXIT.timeout);
    const down = await cli(["health", "--url", "http://127.0.0.1:1"]);
    assert.equal(down.code, EXIT.unavailable);
    assert.match(down.stderr, /cannot reach/);
  });

  test("models and health", async () => {
    // /models needs an API key when the server has API_KEYS (it says what is served and why a reload failed)
    assert.equal((await cli(["models", "--url", url])).code, EXIT.refused);
    const m = await cli(["models", "--url", url, "--api-key", "secret"]);
    assert.equal(m.code, EXIT.ok);
    assert.match(m.stdout, /tiny-generate@1\tgenerate/);
    assert.match(m.stdout, /tiny-summarize@1\tsummarize/);
    const h = await cli(["health", "--url", url]);
    assert.equal(h.code, EXIT.ok);
    assert.match(h.stdout, /^ready: /);
  });

  test("as a process (main.ts): stdin pipe, stdout, exit code", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "clients/cli/src/main.ts", "summarize", "--url", url, "--steps", "3", "--seed", "4", "--json"], {
      env: { ...process.env, DIFFUSION_TEXT_API_KEY: "secret" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    child.stdin.end(DOC);
    let out = "";
    let errText = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (errText += d.toString()));
    const code = await new Promise<number | null>((r) => child.on("close", r));
    assert.equal(code, 0, errText);
    assert.equal((JSON.parse(out) as { seed: number }).seed, 4);
  });
});
