// The post-rollout smoke test through the SDK, against the real server over loopback: it answers
// from the expected version, and what it writes is checked — a model writing blanks or the same text
// for every seed or document fails, as does a default model other than the one /models reports.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Task } from "@ldtext/core";
import { spawnServerProcess, type ServerProcess } from "@ldtext/loadtest";
import { contentProblem, smoke, SmokeError } from "./smoke.ts";
import { writeTestArtifact } from "./test-artifacts.ts";

const repoRoot = new URL("../../", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "smoke-"));
let server: ServerProcess;

before(async () => {
  for (const [i, task] of (["generate", "summarize"] as Task[]).entries()) {
    await writeTestArtifact({ task, outDir: join(work, "models", task, "2026.1"), seed: i + 1, name: `${task}-model`, version: "2026.1" });
  }
  // Degenerate models under other ids (deployed later, so not the defaults): named to be exercised.
  await writeTestArtifact({ task: "generate", output: "blank", outDir: join(work, "models", "blank", "1"), name: "blank-model", version: "1" });
  await writeTestArtifact({ task: "generate", output: "same", outDir: join(work, "models", "same", "1"), name: "same-model", version: "1" });
  await writeTestArtifact({ task: "summarize", output: "same", outDir: join(work, "models", "same-summary", "1"), name: "same-summary-model", version: "1" });
  server = await spawnServerProcess({ repoRoot, modelsDir: join(work, "models"), logFile: join(work, "server.log"), readyTimeoutMs: 120_000, env: { DEFAULT_MODELS: "generate=generate-model,summarize=summarize-model" } });
});

after(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

test("both tasks answer from the expected version", async () => {
  for (const task of ["generate", "summarize"] as const) {
    const r = await smoke({ url: server.url, task, expectVersion: "2026.1", timeoutMs: 30_000 });
    assert.equal(r.task, task);
    assert.equal(r.version, "2026.1");
    assert.equal(r.model, `${task}-model`);
    assert.equal(r.texts, task === "generate" ? 4 : 3);
    for (const t of r.samples) assert.equal(contentProblem(t), null, t);
  }
});

test("a model that writes blanks, or the same text for every seed or document, fails", async () => {
  await assert.rejects(smoke({ url: server.url, model: "blank-model", timeoutMs: 30_000 }), /blank-model@1: a text is blank \(no letter or digit\): ""/);
  await assert.rejects(smoke({ url: server.url, model: "same-model", timeoutMs: 30_000 }), /same-model@1: 4 of 4 texts from seeds 7 and 8 are the same/);
  await assert.rejects(smoke({ url: server.url, model: "same-summary-model", timeoutMs: 30_000 }), /same-summary-model@1: seeds 7 and 8 gave the same summary/);
});

test("content checks", () => {
  assert.equal(contentProblem("The dog ran."), null);
  assert.match(contentProblem("  \n ")!, /blank/);
  assert.match(contentProblem("ok \uFFFD\uFFFD")!, /not decodable \(2 of 4 characters are U\+FFFD\)/);
  assert.equal(contentProblem("a long enough text with one stray \uFFFD"), null);
  assert.match(contentProblem("ok \u0007")!, /control/);
});

test("a version that never appears times out with what is served", async () => {
  await assert.rejects(smoke({ url: server.url, task: "generate", expectVersion: "2026.2", timeoutMs: 1500, pollMs: 200 }), (err: Error) => {
    assert.ok(err instanceof SmokeError);
    assert.match(err.message, /serving .*generate-model@2026\.1 \(generate\).*waiting for generate@2026\.2/);
    return true;
  });
});

test("CLI: exit 0 with a JSON line, 1 on failure", () => {
  const cli = new URL("./cli/smoke.ts", import.meta.url).pathname;
  const ok = spawnSync(process.execPath, ["--import", "tsx", cli, "--url", server.url, "--task", "summarize", "--expect-version", "2026.1", "--timeout-s", "30"], { encoding: "utf8" });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).ok, true);
  const down = spawnSync(process.execPath, ["--import", "tsx", cli, "--url", "http://127.0.0.1:9", "--timeout-s", "1"], { encoding: "utf8" });
  assert.equal(down.status, 1);
  assert.match(down.stderr, /smoke test failed: timed out/);
});
