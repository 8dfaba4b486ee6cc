// End to end, seconds: `npm run bench:serve` on a tiny random-weight artifact (with int8) with tiny
// windows — the real server four times (DENOISER=auto for its choice; DENOISER=fp32 and
// DENOISER=int8 side by side, batching; ROW_BUDGET=1), engine threads, ORT GEMM — so the benchmark
// cannot rot. Asserts the files and their shape, not speeds.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIRST_BPE_ID, modelConfigFromPreset, PRESETS } from "@ldtext/core";
import { placeholderVocabulary, writeRandomArtifact } from "@ldtext/export";
import type { BenchServeResult } from "./summary.ts";

const cli = new URL("./cli.ts", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "bench-serve-e2e-"));
after(() => rmSync(work, { recursive: true, force: true }));

test("bench:serve on a tiny model: JSON with the headline fields, int8 and fp32 server levels side by side, markdown, plot; no-batching runs one row per call", async () => {
  const vocabSize = FIRST_BPE_ID + PRESETS.tiny.topK;
  await writeRandomArtifact({ config: modelConfigFromPreset("tiny", "generate", vocabSize), vocabulary: placeholderVocabulary(vocabSize), outDir: join(work, "models", "gen"), seed: 3, name: "tiny-gen", version: "1", quantize: "int8" });
  const out = join(work, "out");
  const args = ["--quick", "--models", join(work, "models"), "--steps", "2,3", "--concurrency", "1,4", "--batches", "2,4", "--seconds", "0.5", "--engine-seconds", "0.2", "--workers", "1", "--max-minutes", "3", "--out", out];
  const r = spawnSync(process.execPath, ["--import", "tsx", cli, ...args], { encoding: "utf8", timeout: 200_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /\[#+\.*\] \d+\/19 server no batching, 3 steps, c=4 … \(elapsed \d+ s, ETA ≥ \d+ s\)/);
  assert.match(r.stderr, /\d+\/19 server int8, 3 steps, c=4 …/);
  const res = JSON.parse(readFileSync(join(out, "bench-serve.json"), "utf8")) as BenchServeResult;
  assert.deepEqual(res.headline, { steps: 3, concurrency: 4 });
  for (const k of ["engineSamplesPerSec", "serverSamplesPerSecAt32", "ratioAt32", "noBatchingSamplesPerSecAt32", "denoiserGflops", "peakGflops"] as const) {
    assert.ok(typeof res[k] === "number" && res[k] > 0, `${k} = ${res[k]}`);
  }
  for (const k of ["int8ServerSamplesPerSecAt32", "int8OverFp32ServerAt32", "int8OverFp32ServerAt32Cpu"] as const) {
    assert.ok(typeof res[k] === "number" && res[k] > 0, `${k} = ${res[k]}`);
  }
  assert.deepEqual(res.targets.int8OverFp32ServerAt32.target, 2);
  assert.equal(res.targets.int8OverFp32ServerAt32.value, res.int8OverFp32ServerAt32);
  assert.deepEqual(res.serverLatency.map((l) => l.concurrency), [1, 4]);
  for (const l of res.serverLatency) assert.ok(l.fp32!.p50! > 0 && l.int8!.p99! >= l.int8!.p50!);
  // The default's choice on this CPU: whichever it is, /models said so, with its reason.
  assert.ok(res.autoDenoiser && ["int8", "fp32"].includes(res.autoDenoiser.denoiser) && res.autoDenoiser.reason.startsWith("auto"), JSON.stringify(res.autoDenoiser));
  assert.ok(res.machine.cpu.cores > 0 && res.machine.cpu.model.length > 0 && res.machine.cpuModel.startsWith(res.machine.cpu.model));
  assert.equal(res.model.id, "tiny-gen");
  assert.equal(res.model.source, "--models");
  assert.deepEqual(res.results.map((s) => s.steps), [2, 3]);
  for (const s of res.results) {
    assert.deepEqual(s.engine.sweep.map((p) => p.batch), [2, 4]);
    assert.equal(s.engineInt8?.precision, "int8");
    assert.deepEqual(s.server.map((l) => l.concurrency), [1, 4]);
    assert.deepEqual(s.serverInt8.map((l) => l.concurrency), [1, 4]);
    assert.ok(s.server.every((l) => l.denoiser === "fp32" && l.mode === "batching"));
    assert.ok(s.serverInt8.every((l) => l.denoiser === "int8" && l.mode === "batching"));
    assert.ok(s.noBatching.every((l) => l.denoiser === "fp32" && l.mode === "no-batching"));
    assert.deepEqual(s.int8Comparison.map((c) => c.concurrency), [1, 4]);
    for (const c of s.int8Comparison) assert.ok(c.int8OverFp32! > 0 && c.int8OverFp32Cpu! > 0, JSON.stringify(c));
    for (const l of [...s.server, ...s.serverInt8, ...s.noBatching]) {
      assert.equal(l.failed, 0);
      assert.ok(l.loadAverage >= 0);
      assert.ok(l.requests >= l.concurrency, `${l.mode} c=${l.concurrency}: ${l.requests} requests`);
      assert.ok(l.latencyMs.p50! > 0 && l.latencyMs.p99! >= l.latencyMs.p50!);
      assert.ok(l.cpuSeconds > 0);
    }
    // ROW_BUDGET=1: exactly one request per denoiser call.
    for (const l of s.noBatching) assert.equal(l.meanRowsPerDenoiserCall, 1, `no batching c=${l.concurrency}`);
    assert.equal(s.server[0].meanRowsPerDenoiserCall, 1);
    assert.equal(s.serverInt8[0].meanRowsPerDenoiserCall, 1);
  }
  const md = readFileSync(join(out, "bench-serve.md"), "utf8");
  assert.match(md, /## 3 steps/);
  assert.match(md, /\| server int8, batching \| 4 \|/);
  assert.match(md, /int8 vs fp32 server, 3 steps/);
  assert.match(md, /\*\*server int8 \/ fp32\*\* at concurrency 4/);
  assert.ok(readFileSync(join(out, "bench-serve-latency.png")).subarray(1, 4).toString() === "PNG");
  assert.ok(existsSync(join(out, "bench-serve-latency.svg")));
});
