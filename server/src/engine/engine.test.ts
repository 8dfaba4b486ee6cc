// Engine workers with real ONNX Runtime: execution-provider choice and fallback (CUDA is absent on
// this machine), and tensors crossing the thread boundary unchanged.
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { applySampler, coreMath, gaussianNoise, initLatents } from "@ldtext/core";
import { tempDir, writeModel } from "../testing/fixtures.ts";
import { EngineStartError, EngineWorker, OnnxBackend } from "./engine-worker.ts";

let dir: string;
const L = 16;
const d = 16;

before(async () => {
  dir = await writeModel(tempDir(), "summarize");
});

const graphs = () => ({ denoiser: join(dir, "denoiser.onnx"), decoder: join(dir, "decoder.onnx"), cond_encoder: join(dir, "cond_encoder.onnx") });
const opts = (ep: "cpu" | "cuda" | "auto", strict = false) => ({ graphs: graphs(), ep, strict, deviceId: 0, intraOpThreads: 1, shape: { L, d, condDim: 24 } });

describe("execution provider", () => {
  test("cpu is used as asked", async () => {
    const w = await EngineWorker.start(opts("cpu"));
    assert.equal(w.ep, "cpu");
    assert.equal(w.fallbackReason, undefined);
    await w.close();
  });

  test("cuda without its libraries falls back to CPU and says why", async () => {
    const w = await EngineWorker.start(opts("cuda"));
    assert.equal(w.ep, "cpu");
    assert.match(w.fallbackReason ?? "", /CUDA execution provider unavailable: .*(shared library|cannot open)/i);
    // and it serves
    const b = new OnnxBackend(w, L, d, 24);
    const enc = await b.encodeCondition(new Int32Array([5, 6, 7]));
    assert.equal(enc.cond.length, 3 * 24);
    await w.close();
  });

  test("auto behaves like cuda-with-fallback", async () => {
    const w = await EngineWorker.start(opts("auto"));
    assert.equal(w.ep, "cpu");
    assert.ok(w.fallbackReason);
    await w.close();
  });

  test("strict cuda fails the start clearly", async () => {
    await assert.rejects(EngineWorker.start(opts("cuda", true)), (e: unknown) => {
      assert.ok(e instanceof EngineStartError);
      assert.match(e.message, /CUDA execution provider unavailable.*EP_STRICT/);
      return true;
    });
  });

  test("a missing graph file fails the start with the path", async () => {
    await assert.rejects(EngineWorker.start({ ...opts("cpu"), graphs: { denoiser: join(dir, "nope.onnx") } }), /nope\.onnx|No such file|Load model/i);
  });
});

describe("worker round trip", () => {
  test("denoiser, decoder and condition encoder outputs equal a direct ORT run on this thread", async () => {
    const w = await EngineWorker.start(opts("cpu"));
    const b = new OnnxBackend(w, L, d, 24);
    const rows = 3;
    const S = 5;
    const x = gaussianNoise(1, 0, 0, rows * L * d);
    const xsc = gaussianNoise(1, 1, 0, rows * L * d);
    const t = new Float32Array([1, 0.5, 0.1]);
    const cond = gaussianNoise(1, 2, 0, rows * S * 24);
    const mask = new Float32Array(rows * S).fill(1);
    mask.fill(0, S - 2, S); // row 0: two padded keys
    const viaWorker = await b.denoise({ rows, x: x.slice(), xsc: xsc.slice(), t: t.slice(), cond: { data: cond.slice(), mask: mask.slice(), S } });

    const s = await ort.InferenceSession.create(join(dir, "denoiser.onnx"), { logSeverityLevel: 3, graphOptimizationLevel: "all", intraOpNumThreads: 1 });
    const out = await s.run({
      x_t: new ort.Tensor("float32", x, [rows, L, d]),
      x_sc: new ort.Tensor("float32", xsc, [rows, L, d]),
      t: new ort.Tensor("float32", t, [rows]),
      cond: new ort.Tensor("float32", cond, [rows, S, 24]),
      cond_mask: new ort.Tensor("float32", mask, [rows, S]),
    });
    assert.deepEqual(viaWorker, out.x0_hat.data as Float32Array);

    const ids = await b.decode(viaWorker.slice(), rows);
    const dec = await ort.InferenceSession.create(join(dir, "decoder.onnx"), { logSeverityLevel: 3 });
    const direct = await dec.run({ latents: new ort.Tensor("float32", viaWorker, [rows, L, d]) });
    assert.deepEqual(Array.from(ids), Array.from(direct.ids.data as BigInt64Array, Number));
    await s.release();
    await dec.release();
    await w.close();
  });

  test("step (denoiser + sampler math in the worker) equals the same math on this thread", async () => {
    const w = await EngineWorker.start(opts("cpu"));
    const b = new OnnxBackend(w, L, d, 24);
    const ld = L * d;
    const rows = 3;
    const x = gaussianNoise(5, 0, 0, rows * ld);
    const xsc = new Float32Array(rows * ld);
    const t = new Float32Array([0.8, 0.8, 0.3]);
    const cond = gaussianNoise(5, 1, 0, rows * 2 * 24);
    const mask = new Float32Array(rows * 2).fill(1);
    mask[5] = 0; // the null row has one real key
    // sample 0 guided (rows 0 and 1), sample 1 plain sde (row 2)
    const samples = [
      { row: 0, uncondRow: 1, guidance: 2, clamp: 0, sampler: "ddim" as const, t: 1, s: 0.7, seed: 9, step: 0, sample: 0, init: true },
      { row: 2, uncondRow: -1, guidance: 0, clamp: 0, sampler: "sde" as const, t: 0.3, s: 0.2, seed: 9, step: 7, sample: 1, init: false },
    ];
    const batch = () => ({ rows, x: x.slice(), xsc: xsc.slice(), t: t.slice(), cond: { data: cond.slice(), mask: mask.slice(), S: 2 }, samples });
    const viaWorker = await b.step(batch());
    const math = coreMath({ name: "tan-d", d: 9 });
    const local = batch();
    initLatents(local, math, ld);
    assert.deepEqual(local.x.subarray(0, ld), gaussianNoise(9, 0, 0, ld));
    const here = applySampler(await b.denoise({ ...local, x: local.x.slice() }), local, math, ld);
    assert.deepEqual(viaWorker.x, here.x);
    assert.deepEqual(viaWorker.x0, here.x0);
    assert.equal(viaWorker.x.length, 2 * ld);
    await w.close();
  });

  test("a failing run rejects that call only; the worker keeps serving", async () => {
    const w = await EngineWorker.start(opts("cpu"));
    const b = new OnnxBackend(w, L, d, 24);
    await assert.rejects(w.run("denoiser", {}, ["x0_hat"]));
    const enc = await b.encodeCondition(new Int32Array([9]));
    assert.equal(enc.len, 1);
    await w.close();
  });
});

describe("the server reports the execution provider", () => {
  test("EP=cuda without CUDA: serves on CPU, says so in /models, readiness and metrics", async () => {
    const { startTestServer, metricValue } = await import("../testing/fixtures.ts");
    const models = tempDir();
    await writeModel(models, "generate");
    const srv = await startTestServer(models, { EP: "cuda" });
    try {
      const m = (await (await fetch(`${srv.url}/models`)).json()) as { models: { executionProvider: string }[] };
      assert.equal(m.models[0].executionProvider, "cpu");
      const r = (await (await fetch(`${srv.url}/health/ready`)).json()) as { ready: boolean; models: { executionProvider: string }[] };
      assert.equal(r.ready, true);
      assert.equal(r.models[0].executionProvider, "cpu");
      const text = await (await fetch(`${srv.url}/metrics`)).text();
      assert.equal(metricValue(text, 'ldtext_ep_fallback_total{requested="cuda"}'), 1);
      assert.equal(metricValue(text, 'ldtext_model_info{model="tiny-generate",version="1",task="generate",ep="cpu",denoiser="fp32"}'), 1);
    } finally {
      await srv.shutdown();
    }
  });

  test("EP=cuda EP_STRICT=1 without CUDA: no model loads, readiness 503 with the reason", async () => {
    const { startTestServer } = await import("../testing/fixtures.ts");
    const models = tempDir();
    await writeModel(models, "generate");
    const srv = await startTestServer(models, { EP: "cuda", EP_STRICT: "1" });
    try {
      const ready = await fetch(`${srv.url}/health/ready`);
      assert.equal(ready.status, 503);
      const m = (await (await fetch(`${srv.url}/models`)).json()) as { models: unknown[]; lastReload: { failed: { error: string }[] } };
      assert.equal(m.models.length, 0);
      assert.match(m.lastReload.failed[0].error, /CUDA execution provider unavailable.*EP_STRICT/);
    } finally {
      await srv.shutdown();
    }
  });
});
