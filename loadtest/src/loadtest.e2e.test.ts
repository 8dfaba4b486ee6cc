// End to end over loopback with the real server and ONNX Runtime: the CI smoke run of
// `npm run loadtest` (tiny random models, profile smoke, ~10 s of load), so the runner can't rot.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIRST_BPE_ID, modelConfigFromPreset, PRESETS, type Task } from "@ldtext/core";
import { placeholderVocabulary, writeRandomArtifact } from "@ldtext/export";
import type { Summary } from "../k6/lib/shared.js";
import { spawnServerProcess, type ServerProcess } from "./server-process.ts";

const repoRoot = new URL("../../", import.meta.url).pathname;
const cli = new URL("./cli.ts", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "loadtest-e2e-"));
let server: ServerProcess;

before(async () => {
  const vocabSize = FIRST_BPE_ID + PRESETS.tiny.topK;
  for (const [i, task] of (["generate", "summarize"] as Task[]).entries()) {
    const config = modelConfigFromPreset("tiny", task, vocabSize);
    await writeRandomArtifact({ config, vocabulary: placeholderVocabulary(vocabSize), outDir: join(work, "models", task, "1"), seed: i + 1, name: task, version: "1" });
  }
  server = await spawnServerProcess({ repoRoot, modelsDir: join(work, "models"), logFile: join(work, "server.log"), readyTimeoutMs: 120_000 });
});

after(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

function loadtest(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", cli, "--url", server.url, "--profile", "smoke", ...args], { encoding: "utf8", timeout: 120_000 });
}

test("smoke profile against the real server: every request succeeds, summary + plot written, exit 0", () => {
  const out = join(work, "pass");
  const r = loadtest(["--out", out]);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const s = JSON.parse(readFileSync(join(out, "loadtest-summary.json"), "utf8")) as Summary;
  assert.equal(s.schema, "ldtext-loadtest-summary/2");
  assert.equal(s.tool, "node");
  assert.equal(s.pass, true);
  assert.deepEqual(s.levels.map((l) => l.key), ["generate-steady-1", "generate-steady-2", "generate-ramp-4", "summarize-steady-1", "summarize-steady-2", "summarize-ramp-4"]);
  for (const l of s.levels) {
    // Open model, VUs by Little's law: every offered arrival is sent, none dropped, none cached.
    assert.deepEqual([l.offered, l.sent, l.dropped, l.failed, l.cached], [l.rate * l.seconds, l.rate * l.seconds, 0, 0, 0], l.key);
    assert.ok(l.achievedRps > 0 && l.achievedRps <= l.rate, `${l.key}: achieved ${l.achievedRps}`);
    assert.ok(l.latencyMs.p95! > 0);
  }
  assert.ok(Number.isInteger(s.seed), "a fresh seed, recorded");
  assert.ok(s.environment!.cpuModel.length > 0 && s.environment!.loadAverageStart.length === 3);
  assert.ok(existsSync(join(out, "loadtest-summary.txt")));
  assert.ok(readFileSync(join(out, "loadtest-latency.png")).subarray(1, 4).toString() === "PNG");
  assert.match(readFileSync(join(out, "loadtest-latency.svg"), "utf8"), /summarize p95/);
});

test("a failed threshold exits 1 and says which", () => {
  const out = join(work, "fail");
  const r = loadtest(["--out", out, "--routes", "generate", "--p99", "generate=0.001"]);
  assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
  const s = JSON.parse(readFileSync(join(out, "loadtest-summary.json"), "utf8")) as Summary;
  assert.equal(s.pass, false);
  assert.deepEqual(s.thresholds.filter((t) => !t.pass).map((t) => t.condition), ["p(99)<0.001"]);
  assert.match(r.stdout, /✗ http_req_duration\{route:generate,load:steady\} p\(99\)<0.001/);
});
