// The parts of bench:serve that need no server: FLOP count, the result's shape and ratio math (server
// vs engine, int8 vs fp32 server), the markdown table, /metrics parsing, argument lists, the
// side-by-side order and progress plan, the servers' environment, and the GEMM graph run through
// ONNX Runtime.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { FIRST_BPE_ID, modelConfigFromPreset, PRESETS } from "@ldtext/core";
import { denoiserFlopsPerRow, gemmFlops } from "./flops.ts";
import { bestPoint, buildResult, compare, compareInt8, formatMarkdown, latencyAt, ratio, type EngineBatchPoint, type EngineCeiling, type Precision, type ServerLevel, type SummaryInput } from "./summary.ts";
import { metricSum } from "./server-load.ts";
import { intList, planPhases, serverEnv, sideBySide, UsageError } from "./cli.ts";
import { Progress } from "./progress.ts";
import { matmulModel, measureGemmPeak } from "./peak.ts";
import { benchSeries } from "./plot.ts";

describe("denoiser FLOPs", () => {
  test("small preset, by hand: 459.5 MFLOP per row and step, MLP and projections dominate", () => {
    const cfg = modelConfigFromPreset("small", "generate", FIRST_BPE_ID + PRESETS.small.topK);
    const f = denoiserFlopsPerRow(cfg);
    // L=64, d=64, D=256, F=768, 4 layers.
    assert.equal(f.time, 2 * 2 * 256 * 256);
    assert.equal(f.input, 2 * 64 * 128 * 256);
    assert.equal(f.attnProj, 4 * 4 * 2 * 64 * 256 * 256);
    assert.equal(f.attnScores, 4 * 2 * 2 * 64 * 64 * 256);
    assert.equal(f.mlp, 4 * 3 * 2 * 64 * 256 * 768);
    assert.equal(f.output, 2 * 64 * 256 * 64);
    assert.equal(f.cross, 0);
    assert.equal(f.total, 459_538_432);
    assert.equal(f.total, f.time + f.input + f.attnProj + f.attnScores + f.cross + f.mlp + f.output);
  });

  test("summarize adds cross-attention that grows with the document length", () => {
    const cfg = modelConfigFromPreset("tiny", "summarize", 300);
    const gen = denoiserFlopsPerRow(modelConfigFromPreset("tiny", "generate", 300));
    const full = denoiserFlopsPerRow(cfg);
    const short = denoiserFlopsPerRow(cfg, 8);
    // tiny: L=16, D=32, Dc=32, S=32, 2 layers.
    assert.equal(full.cross, 2 * (2 * 2 * 16 * 32 * 32 + 2 * 2 * 32 * 32 * 32 + 2 * 2 * 16 * 32 * 32));
    assert.ok(short.cross < full.cross && short.cross > 0);
    assert.equal(full.total - full.cross, gen.total);
    assert.equal(gemmFlops(2, 3, 4), 48);
  });
});

const point = (batch: number, samplesPerSec: number, over: Partial<EngineBatchPoint> = {}): EngineBatchPoint => ({
  batch,
  samples: 10,
  seconds: 1,
  samplesPerSec,
  denoiserCalls: 10,
  denoiserMsMean: 5,
  denoiserGflops: samplesPerSec * 10,
  sampleLatencyMs: 100 * batch,
  cpuSeconds: 2,
  denoiserGflopsPerCpuSecond: samplesPerSec * 5,
  samplesPerCpuSecond: samplesPerSec / 2,
  ...over,
});
const engine = (steps: number, sweep: EngineBatchPoint[], precision: "fp32" | "int8" = "fp32"): EngineCeiling => ({ precision, steps, sweep, best: bestPoint(sweep) });
const level = (mode: ServerLevel["mode"], steps: number, concurrency: number, samplesPerSec: number, denoiser: Precision = "fp32"): ServerLevel => ({
  mode,
  denoiser,
  steps,
  concurrency,
  requests: 20,
  failed: 0,
  seconds: 10,
  samplesPerSec,
  latencyMs: { p50: 100 * concurrency, p95: 150 * concurrency, p99: 160 * concurrency, mean: 110 * concurrency },
  meanRowsPerDenoiserCall: mode === "batching" ? concurrency / 2 : 1,
  denoiserCalls: 100,
  cpuSeconds: 10,
  samplesPerCpuSecond: Number((samplesPerSec * (mode === "batching" ? 0.4 : 0.2)).toFixed(3)),
  truncated: false,
  loadAverage: 2.5,
});
// The int8 server: samples/s given, latency `latencyScale` × the fp32 helper's, per CPU second 0.5 × samples/s.
const int8Level = (steps: number, concurrency: number, samplesPerSec: number, latencyScale = 0.5): ServerLevel => {
  const l = level("batching", steps, concurrency, samplesPerSec, "int8");
  const sc = (x: number | null) => (x === null ? null : x * latencyScale);
  return { ...l, samplesPerCpuSecond: Number((samplesPerSec * 0.5).toFixed(3)), latencyMs: { p50: sc(l.latencyMs.p50), p95: sc(l.latencyMs.p95), p99: sc(l.latencyMs.p99), mean: sc(l.latencyMs.mean) } };
};
const CPU = { model: "AMD EPYC", vendor: "AuthenticAMD", family: 25, modelNumber: 17, stepping: 1, cores: 2, int8Flags: ["avx2", "avx512_vnni"], int8Kernel: "avx512_vnni" as const };

function input(over: Partial<SummaryInput> = {}): SummaryInput {
  const steps = (s: number, k: number) => ({
    steps: s,
    engine: engine(s, [point(1, 2 * k), point(8, 4 * k), point(32, 3 * k)]),
    engineInt8: engine(s, [point(8, 6 * k)], "int8"),
    server: [level("batching", s, 1, 1.5 * k), level("batching", s, 8, 3.2 * k), level("batching", s, 32, 3.8 * k)],
    // int8 / fp32: ×1.2 at c=1, ×2 at c=8, ×2.1 at c=32 (samples/s); per CPU second 0.5 vs 0.4 → ×1.25·ratio.
    serverInt8: [int8Level(s, 1, 1.8 * k), int8Level(s, 8, 6.4 * k), int8Level(s, 32, 7.98 * k)],
    noBatching: [level("no-batching", s, 1, 1.6 * k), level("no-batching", s, 8, 2 * k), level("no-batching", s, 32, 1.9 * k)],
  });
  return {
    startedAt: "2026-01-01T00:00:00.000Z",
    durationSeconds: 123.45,
    quick: true,
    model: { dir: "/m", id: "gen", version: "1", source: "random", preset: "small", L: 64, d: 64, dif: { dModel: 256, heads: 4, layers: 4, ffn: 768 }, hasInt8: true },
    layout: { workers: 2, intraOpThreads: 1, rowBudget: 32, noBatchingRowBudget: 1 },
    machine: { cpus: 2, cpuModel: "AMD EPYC (family 25, model 17, stepping 1)", cpu: CPU, loadAverageStart: [1, 2, 3], loadAverageEnd: [1, 2, 3], node: "v20", onnxruntime: "1.30.0" },
    denoiserFlopsPerRow: 459_538_432,
    peak: { M: 1024, K: 1024, N: 1024, sessions: 2, threads: 1, calls: 10, gflops: 80, medianGflops: 70, gflopsPerCpuSecond: 25 },
    results: [steps(10, 5), steps(50, 1)],
    ...over,
  };
}

describe("result and ratios", () => {
  test("ratio: a / b rounded, null when a side is missing or zero", () => {
    assert.equal(ratio(3.6, 4), 0.9);
    assert.equal(ratio(1, 3), 0.3333);
    assert.equal(ratio(null, 4), null);
    assert.equal(ratio(1, 0), null);
    assert.equal(ratio(1, undefined), null);
  });

  test("best batch and per-concurrency comparison", () => {
    const e = engine(50, [point(1, 2), point(8, 4), point(32, 3)]);
    assert.equal(e.best.batch, 8);
    const c = compare(e, [level("batching", 50, 32, 3.8), level("batching", 50, 1, 1.5)], [level("no-batching", 50, 32, 1.9)]);
    assert.deepEqual(c.map((x) => x.concurrency), [1, 32]);
    assert.deepEqual(c[1], { concurrency: 32, serverSamplesPerSec: 3.8, noBatchingSamplesPerSec: 1.9, serverOverEngine: 0.95, batchingSpeedup: 2, serverOverEngineCpu: 0.76, batchingSpeedupCpu: 4 });
    assert.equal(c[0].noBatchingSamplesPerSec, null);
    assert.equal(c[0].batchingSpeedup, null);
    assert.equal(c[0].batchingSpeedupCpu, null);
    assert.throws(() => bestPoint([]), /empty/);
  });

  test("headline fields come from 50 steps at concurrency 32, with targets judged", () => {
    const r = buildResult(input());
    assert.equal(r.schema, "ldtext-bench-serve/2");
    assert.deepEqual(r.headline, { steps: 50, concurrency: 32 });
    assert.equal(r.engineSamplesPerSec, 4);
    assert.equal(r.serverSamplesPerSecAt32, 3.8);
    assert.equal(r.ratioAt32, 0.95);
    assert.equal(r.noBatchingSamplesPerSecAt32, 1.9);
    assert.equal(r.ratioAt32Cpu, 0.76);
    assert.equal(r.denoiserGflops, 40);
    assert.equal(r.peakGflops, 80);
    assert.equal(r.denoiserPeakFraction, 0.5);
    assert.equal(r.int8EngineSpeedup, 1.5);
    assert.equal(r.denoiserGflopsPerCpuSecond, 20);
    assert.equal(r.peakGflopsPerCpuSecond, 25);
    assert.equal(r.denoiserPeakFractionCpu, 0.8);
    assert.deepEqual(r.targets, {
      serverOverEngineAt32: { target: 0.9, value: 0.95, met: true },
      serverOverEngineAt32Cpu: { target: 0.9, value: 0.76, met: false },
      denoiserOverPeak: { target: 0.5, value: 0.5, met: true },
      denoiserOverPeakCpu: { target: 0.5, value: 0.8, met: true },
      int8OverFp32ServerAt32: { target: 2, value: 2.1, met: true },
      int8OverFp32ServerAt32Cpu: { target: 2, value: 2.625, met: true },
    });
    assert.equal(r.int8ServerSamplesPerSecAt32, 7.98);
    assert.equal(r.int8OverFp32ServerAt32, 2.1);
    assert.equal(r.int8OverFp32ServerAt32Cpu, 2.625);
    assert.deepEqual(r.serverLatency, [
      { concurrency: 1, fp32: { p50: 100, p99: 160 }, int8: { p50: 50, p99: 80 } },
      { concurrency: 32, fp32: { p50: 3200, p99: 5120 }, int8: { p50: 1600, p99: 2560 } },
    ]);
    assert.equal("autoDenoiser" in r, false);
    assert.equal(r.results[1].int8Comparison.length, 3);
    for (const k of ["engineSamplesPerSec", "serverSamplesPerSecAt32", "ratioAt32", "noBatchingSamplesPerSecAt32", "denoiserGflops", "peakGflops"] as const) {
      assert.equal(typeof r[k], "number", k);
    }
    assert.equal(r.results.length, 2);
    assert.equal(r.results[0].comparison.length, 3);
    assert.equal(r.durationSeconds, 123.5);
    // Round-trips through JSON unchanged (what is written is what was computed).
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  });

  test("missed targets, and fallbacks without 50 steps or concurrency 32", () => {
    const slow = input({ peak: { M: 1, K: 1, N: 1, sessions: 1, threads: 2, calls: 1, gflops: 1000, medianGflops: 900, gflopsPerCpuSecond: 500 } });
    slow.results[1].server[2] = level("batching", 50, 32, 2);
    const r = buildResult(slow);
    assert.equal(r.ratioAt32, 0.5);
    assert.equal(r.targets.serverOverEngineAt32.met, false);
    assert.equal(r.targets.denoiserOverPeak.met, false);
    assert.equal(r.targets.denoiserOverPeakCpu.met, false);

    const only10 = input();
    only10.results = [only10.results[0]];
    only10.results[0].server = only10.results[0].server.slice(0, 2);
    only10.results[0].noBatching = only10.results[0].noBatching.slice(0, 2);
    const f = buildResult(only10);
    assert.deepEqual(f.headline, { steps: 10, concurrency: 8 });
    assert.equal(f.serverSamplesPerSecAt32, 16);
    assert.throws(() => buildResult(input({ results: [] })), /no results/);
    const noInt8 = input();
    for (const s of noInt8.results) {
      delete s.engineInt8;
      s.serverInt8 = [];
    }
    const n = buildResult(noInt8);
    assert.equal("int8EngineSpeedup" in n, false);
    assert.equal(n.int8OverFp32ServerAt32, null);
    assert.deepEqual(n.targets.int8OverFp32ServerAt32, { target: 2, value: null, met: false });
    assert.deepEqual(n.serverLatency.map((l) => [l.concurrency, l.int8]), [[1, null], [32, null]]);
    assert.ok(n.results.every((s) => s.int8Comparison.length === 0));
    assert.doesNotMatch(formatMarkdown(n), /int8 vs fp32 server|server int8/);
  });

  test("int8 vs fp32 server: ratios per concurrency both ran, latency pairs, int8 server / int8 engine", () => {
    const fp32 = [level("batching", 50, 1, 1.5), level("batching", 50, 8, 3.2), level("batching", 50, 32, 4)];
    const int8 = [int8Level(50, 32, 7), int8Level(50, 1, 3), int8Level(50, 4, 9)];
    const c = compareInt8(fp32, int8, engine(50, [point(8, 8)], "int8"));
    // c=4 has no fp32 partner and c=8 no int8 one: only 1 and 32, sorted.
    assert.deepEqual(c.map((x) => x.concurrency), [1, 32]);
    assert.deepEqual(c[1], {
      concurrency: 32,
      fp32SamplesPerSec: 4,
      int8SamplesPerSec: 7,
      int8OverFp32: 1.75,
      fp32SamplesPerCpuSecond: 1.6,
      int8SamplesPerCpuSecond: 3.5,
      int8OverFp32Cpu: 2.1875,
      int8ServerOverEngine: 0.875,
      fp32LatencyMs: { p50: 3200, p99: 5120 },
      int8LatencyMs: { p50: 1600, p99: 2560 },
    });
    assert.equal(c[0].int8OverFp32, 2);
    assert.equal(compareInt8(fp32, int8)[0].int8ServerOverEngine, null);
    assert.deepEqual(compareInt8(fp32, []), []);
    // A failed level (0 samples/s) gives no ratio rather than 0 or Infinity.
    assert.equal(compareInt8([level("batching", 50, 1, 0)], [int8Level(50, 1, 3)])[0].int8OverFp32, null);

    // Latency at the lowest concurrency either ran and at the headline one; a side that lacks it is null.
    assert.deepEqual(latencyAt(fp32, int8, 32).map((l) => [l.concurrency, l.fp32?.p50, l.int8?.p50]), [[1, 100, 50], [32, 3200, 1600]]);
    assert.deepEqual(latencyAt(fp32, int8, 8)[1], { concurrency: 8, fp32: { p50: 800, p99: 1280 }, int8: null });
    assert.equal(latencyAt(fp32, int8, 1).length, 1);
    assert.deepEqual(latencyAt([], [], 32), []);
  });

  test("int8 server target: just under 2× is missed; the headline follows the headline concurrency", () => {
    const x = input();
    x.results[1].serverInt8[2] = int8Level(50, 32, 7.59); // 7.59 / 3.8 = 1.997
    const r = buildResult(x);
    assert.deepEqual(r.targets.int8OverFp32ServerAt32, { target: 2, value: 1.9974, met: false });
    assert.deepEqual(r.targets.int8OverFp32ServerAt32Cpu, { target: 2, value: 2.4967, met: true });
    assert.match(formatMarkdown(r), /\| \*\*server int8 \/ fp32\*\* at concurrency 32 \(side by side\) \| 1\.997 \| ≥ 2 ✗ \|/);
    const at8 = buildResult(input({ headlineConcurrency: 8 }));
    assert.equal(at8.int8OverFp32ServerAt32, 2);
    assert.deepEqual(at8.serverLatency.map((l) => l.concurrency), [1, 8]);
    const auto = buildResult(input({ autoDenoiser: { denoiser: "int8", reason: "auto: int8 parity check passed" } }));
    assert.match(formatMarkdown(auto), /\| server default \(DENOISER=auto\) serves \| int8 \(auto: int8 parity check passed\) \| \|/);
  });

  test("markdown: headline with target marks, one table per steps, every setup a row", () => {
    const md = formatMarkdown(buildResult(input()));
    assert.match(md, /\| server \/ engine \| 0\.950 \| ≥ 0\.9 ✓ \|/);
    assert.match(md, /\| denoiser \/ peak \| 0\.500 \| ≥ 0\.5 ✓ \|/);
    assert.match(md, /\| denoiser \/ peak, per CPU second \| 0\.800 \| ≥ 0\.5 ✓ \|/);
    assert.match(md, /## 10 steps/);
    assert.match(md, /## 50 steps/);
    assert.match(md, /\| engine fp32, no HTTP \| batch 8 \(best\) \| 4\.00 \| 1\.000 \| 2\.00 \| 1\.000 \|/);
    // The same table from the written JSON (object identity lost): the best batch is still marked.
    assert.equal(formatMarkdown(JSON.parse(JSON.stringify(buildResult(input())))), md);
    assert.match(md, /\| server fp32, no batching \| 32 \| 1\.90 \| 0\.475 \| 0\.38 \| 0\.190 \| 3200 \| 4800 \| 5120 \| 1\.0 \| 20 \|/);
    assert.match(md, /\| server \/ engine, per CPU second \| 0\.760 \| ≥ 0\.9 ✗ \|/);
    assert.equal(md.split("\n").filter((l) => l.startsWith("| server fp32, batching |")).length, 6);
    assert.equal(md.split("\n").filter((l) => l.startsWith("| server int8, batching |")).length, 6);
    assert.match(md, /2 × AMD EPYC \(family 25, model 17, stepping 1\) \(int8 kernel avx512_vnni\)/);
    assert.match(md, /\| server int8 \(DENOISER=int8\) at concurrency 32, samples\/s \| 7\.98 \| \|/);
    assert.match(md, /\| \*\*server int8 \/ fp32\*\* at concurrency 32 \(side by side\) \| 2\.100 \| ≥ 2 ✓ \|/);
    assert.match(md, /\| server int8 \/ fp32, per CPU second \| 2\.625 \| ≥ 2 ✓ \|/);
    assert.match(md, /\| server p50 \/ p99 ms at concurrency 1: fp32 · int8 \| 100 \/ 160 · 50 \/ 80 \| \|/);
    assert.match(md, /\| server p50 \/ p99 ms at concurrency 32: fp32 · int8 \| 3200 \/ 5120 · 1600 \/ 2560 \| \|/);
    // Per steps: the int8 vs fp32 table, one row per concurrency (50 steps: k = 1, int8 engine 6 samples/s).
    assert.equal(md.split("\n").filter((l) => l.startsWith("int8 vs fp32 server,")).length, 2);
    assert.match(md, /\| 32 \| 3\.80 \| 7\.98 \| 2\.100 \| 1\.52 \| 3\.99 \| 2\.625 \| 1\.330 \| 3200 \/ 5120 \| 1600 \/ 2560 \|/);
  });

  test("plot series: server and no-batching curves labelled by concurrency, engine by batch", () => {
    const s = benchSeries(buildResult(input()));
    assert.deepEqual(s.map((x) => x.name), [
      "fp32 srv, 10 st",
      "int8 srv, 10 st",
      "no batch, 10 st",
      "engine, 10 st",
      "int8 eng, 10 st",
      "fp32 srv, 50 st",
      "int8 srv, 50 st",
      "no batch, 50 st",
      "engine, 50 st",
      "int8 eng, 50 st",
    ]);
    assert.deepEqual(s[1].points.map((p) => [p.label, Number(p.x.toFixed(3))]), [["c=1", 9], ["c=8", 32], ["c=32", 39.9]]);
    assert.deepEqual(s[0].points.map((p) => p.label), ["c=1", "c=8", "c=32"]);
    assert.deepEqual(s[3].points.map((p) => p.label), ["b=1", "b=8", "b=32"]);
    for (const x of s) assert.ok(x.name.length <= 16, x.name);
  });
});

describe("inputs", () => {
  test("metricSum adds every labelled sample of exactly that metric", () => {
    const text = [
      "# HELP ldtext_batch_rows Rows per denoiser call",
      "# TYPE ldtext_batch_rows histogram",
      'ldtext_batch_rows_bucket{le="1",model="a"} 3',
      'ldtext_batch_rows_sum{model="a"} 40',
      'ldtext_batch_rows_count{model="a"} 10',
      'ldtext_batch_rows_sum{model="b"} 2',
      "ldtext_batch_rows_sum_other 99",
      "ldtext_batch_rows_count 5",
    ].join("\n");
    assert.equal(metricSum(text, "ldtext_batch_rows_sum"), 42);
    assert.equal(metricSum(text, "ldtext_batch_rows_count"), 15);
    assert.equal(metricSum(text, "missing"), 0);
  });

  test("intList: sorted unique integers in range, clear errors otherwise", () => {
    assert.deepEqual(intList("steps", "50,10,10", 200), [10, 50]);
    assert.throws(() => intList("steps", "10,abc", 200), UsageError);
    assert.throws(() => intList("steps", "0", 200), /--steps wants a comma list of integers 1\.\.200/);
    assert.throws(() => intList("steps", "500", 200), UsageError);
    assert.throws(() => intList("steps", "", 200), UsageError);
  });
});

describe("GEMM through ONNX Runtime", () => {
  test("the MatMul graph computes a @ w (checked against a JS product)", async () => {
    const [M, K, N] = [3, 5, 4];
    const session = await ort.InferenceSession.create(matmulModel(M, K, N, 7));
    const a = Float32Array.from({ length: M * K }, (_, i) => i - 7);
    const y = (await session.run({ a: new ort.Tensor("float32", a, [M, K]) })).y.data as Float32Array;
    // Recover w from unit rows: e_k @ w = row k of w.
    const eye = new Float32Array(K * K);
    for (let k = 0; k < K; k++) eye[k * K + k] = 1;
    const session2 = await ort.InferenceSession.create(matmulModel(K, K, N, 7));
    const w = (await session2.run({ a: new ort.Tensor("float32", eye, [K, K]) })).y.data as Float32Array;
    assert.ok(w.some((v) => v !== 0));
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[m * K + k] * w[k * N + n];
        assert.ok(Math.abs(s - y[m * N + n]) < 1e-4, `y[${m},${n}]`);
      }
    }
    await session.release();
    await session2.release();
  });

  test("measureGemmPeak: positive GFLOP/s (wall and per CPU second), best ≥ median, at least minCalls rounds", async () => {
    const p = await measureGemmPeak({ M: 64, K: 64, N: 64, sessions: 2, threads: 1, seconds: 0.05, minCalls: 5 });
    assert.ok(p.calls >= 5);
    assert.ok(p.gflops > 0 && p.gflops >= p.medianGflops);
    assert.ok(p.gflopsPerCpuSecond > 0 && Number.isFinite(p.gflopsPerCpuSecond));
    assert.deepEqual([p.M, p.K, p.N, p.sessions, p.threads], [64, 64, 64, 2, 1]);
  });
});

describe("progress", () => {
  test("phases are planned in the order the run visits them; out-of-order or unknown phases throw", () => {
    const phases = planPhases({ steps: [10, 50], concurrencies: [1, 32], batches: [8, 16], seconds: 6, engineSeconds: 2, int8: true });
    assert.deepEqual(phases.map((p) => p.name), [
      "GEMM peak",
      "engine fp32, 10 steps",
      "engine fp32, 50 steps",
      "engine int8, 10 steps",
      "engine int8, 50 steps",
      "server DENOISER=auto check",
      "server fp32, 10 steps, c=1",
      "server int8, 10 steps, c=1",
      "server int8, 10 steps, c=32",
      "server fp32, 10 steps, c=32",
      "server fp32, 50 steps, c=1",
      "server int8, 50 steps, c=1",
      "server int8, 50 steps, c=32",
      "server fp32, 50 steps, c=32",
      "server no batching, 10 steps, c=1",
      "server no batching, 10 steps, c=32",
      "server no batching, 50 steps, c=1",
      "server no batching, 50 steps, c=32",
      "GEMM peak (again)",
    ]);
    const lines: string[] = [];
    const p = new Progress(phases, (l) => lines.push(l));
    p.begin("GEMM peak");
    assert.ok(p.eta() >= phases.reduce((s, x) => s + x.seconds, 0) - 1e-9);
    p.done("x");
    p.skip("engine int8, 10 steps");
    assert.throws(() => p.begin("engine fp32, 10 steps"), /unknown phase/);
    p.begin("engine int8, 50 steps");
    assert.match(lines.at(-1)!, /^\[#+\.+\] 4\/19 engine int8, 50 steps … \(elapsed \d+ s, ETA ≥ \d+ s\)$/);
    // Without int8: no int8 engine, no auto check, fp32 server levels only.
    const fp32Only = planPhases({ steps: [10], concurrencies: [1, 8], batches: [8], seconds: 6, engineSeconds: 2, int8: false }).map((x) => x.name);
    assert.deepEqual(fp32Only, ["GEMM peak", "engine fp32, 10 steps", "server fp32, 10 steps, c=1", "server fp32, 10 steps, c=8", "server no batching, 10 steps, c=1", "server no batching, 10 steps, c=8", "GEMM peak (again)"]);
  });

  test("side by side: every (steps, concurrency) pair once per denoiser, adjacent, the first one alternating", () => {
    const runs = sideBySide([10, 50], [1, 8, 32], true);
    assert.equal(runs.length, 12);
    assert.deepEqual(runs.slice(0, 6).map((r) => `${r.denoiser} ${r.steps} ${r.concurrency}`), ["fp32 10 1", "int8 10 1", "int8 10 8", "fp32 10 8", "fp32 10 32", "int8 10 32"]);
    for (let i = 0; i < runs.length; i += 2) {
      assert.deepEqual([runs[i].steps, runs[i].concurrency], [runs[i + 1].steps, runs[i + 1].concurrency]);
      assert.notEqual(runs[i].denoiser, runs[i + 1].denoiser);
    }
    // As often first as second: neither denoiser always follows the other's load.
    assert.equal(runs.filter((r, i) => i % 2 === 0 && r.denoiser === "int8").length, 3);
    assert.deepEqual(sideBySide([10], [1, 8], false).map((r) => r.denoiser), ["fp32", "fp32"]);
  });

  test("server environment: the denoiser named explicitly, admission estimate and polling off, queue for the highest concurrency", () => {
    const e = serverEnv({ workers: 2, threads: 1, rowBudget: 32, concurrencies: [1, 8, 64], denoiser: "fp32" });
    assert.equal(e.DENOISER, "fp32");
    assert.deepEqual([e.WORKERS, e.INTRA_OP_THREADS, e.ROW_BUDGET, e.QUEUE_SIZE], ["2", "1", "32", "128"]);
    assert.deepEqual([e.ADMISSION_DEADLINE_MS, e.MODEL_POLL_MS, e.RESPONSE_CACHE_SIZE, e.EP], ["0", "0", "0", "cpu"]);
    assert.equal(serverEnv({ workers: 1, threads: 1, rowBudget: 1, concurrencies: [1], denoiser: "int8" }).QUEUE_SIZE, "64");
  });
});
