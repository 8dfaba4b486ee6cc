// The post-rollout smoke test through the SDK, against the real server over loopback.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIRST_BPE_ID, modelConfigFromPreset, PRESETS, type Task } from "@ldtext/core";
import { placeholderVocabulary, writeRandomArtifact } from "@ldtext/export";
import { startServer, type RunningServer } from "@ldtext/loadtest";
import { smoke, SmokeError } from "./smoke.ts";

const repoRoot = new URL("../../", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "smoke-"));
let server: RunningServer;

before(async () => {
  const vocabSize = FIRST_BPE_ID + PRESETS.tiny.topK;
  for (const [i, task] of (["generate", "summarize"] as Task[]).entries()) {
    const config = modelConfigFromPreset("tiny", task, vocabSize);
    await writeRandomArtifact({ config, vocabulary: placeholderVocabulary(vocabSize), outDir: join(work, "models", task, "2026.1"), seed: i + 1, name: `${task}-model`, version: "2026.1" });
  }
  server = await startServer({ repoRoot, modelsDir: join(work, "models"), logFile: join(work, "server.log"), readyTimeoutMs: 120_000 });
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
    assert.ok(r.texts >= 1);
  }
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
