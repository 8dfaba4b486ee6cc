import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { buildArDecoder, buildArMemory, buildArStep, buildCondEncoder, buildDecoder, buildDenoiser, buildEncoder, graphsForTask } from "./graphs.ts";
import { BOS_ID } from "@ldtext/core";
import type { NormState } from "@ldtext/core";
import { gaussian, randomWeights } from "./weights.ts";
import { arDecoderRef, condEncoderRef, decoderRef, denoiserRef, encoderRef } from "../reference/forward.ts";
import { tfjsReference } from "../verify/reference.ts";
import type { Tensor64 } from "../reference/forward.ts";
import { asF32, f32, i64, maxAbsDiff, randomTensor, sessionFor, tinyConfig } from "../testing.ts";
import * as ort from "onnxruntime-node";

const TOL = 1e-4;
const SHAPES = [
  [2, 16],
  [3, 5],
]; // dynamic batch and length: the graphs are built once and run at both

function dataNorm(d: number, seed: number): NormState {
  const rnd = gaussian(seed);
  const mean = Array.from({ length: d }, () => 0.3 * rnd());
  return { kind: "data", mean, sq: mean.map((m) => m * m + 0.5 + Math.abs(rnd())) };
}

describe("encoder graph", () => {
  for (const kind of ["data", "batch", "sphere", "layer"] as const) {
    test(`matches the float64 reference (norm ${kind})`, async () => {
      const cfg = tinyConfig("generate", { norm: kind });
      const w = randomWeights(cfg, 1);
      const norm = kind === "data" || kind === "batch" ? { ...dataNorm(cfg.latentDim, 2), kind } : { kind };
      const s = await sessionFor(buildEncoder(cfg, w, norm));
      const rnd = gaussian(3);
      for (const [B, L] of SHAPES) {
        const ids = Array.from({ length: B * L }, () => Math.floor(Math.abs(rnd() * 1000)) % cfg.vocabSize);
        const out = await s.run({ tokens: i64(ids, [B, L]) });
        assert.deepEqual(out.x0.dims, [B, L, cfg.latentDim]);
        const err = maxAbsDiff(out.x0.data as Float32Array, encoderRef(cfg, w, norm, ids, B, L).data);
        assert.ok(err <= TOL, `max abs err ${err}`);
      }
    });
  }
});

describe("denoiser graph", () => {
  for (const [task, difTimeCond] of [["generate", "input"], ["summarize", "input"], ["generate", "blocks"], ["summarize", "blocks"]] as const) {
    test(`matches the float64 reference (${task}, time at the ${difTimeCond === "blocks" ? "input and every block" : "input"})`, async () => {
      const cfg = tinyConfig(task, difTimeCond === "blocks" ? { difTimeCond } : {});
      const w = randomWeights(cfg, 4);
      if (difTimeCond === "blocks") assert.ok(w.has("dif.blocks.0.time.w"), "the per-block time weights are part of the contract");
      const s = await sessionFor(buildDenoiser(cfg, w));
      const rnd = gaussian(5);
      for (const [B, L] of SHAPES) {
        const xt = asF32(randomTensor([B, L, cfg.latentDim], rnd));
        const xsc = asF32(randomTensor([B, L, cfg.latentDim], rnd, 0.5));
        const t = Float32Array.from({ length: B }, (_, i) => (i + 0.37) / B); // distinct per row
        const feeds: Record<string, ReturnType<typeof f32>> = { x_t: f32(xt), x_sc: f32(xsc), t: f32({ shape: [B], data: Float64Array.from(t) }) };
        let cross: { cond: Tensor64; mask: Tensor64 } | undefined;
        if (task === "summarize") {
          const S = 7;
          const cond = asF32(randomTensor([B, S, cfg.condEnc!.dModel], rnd));
          // row 0 fully present, later rows padded at the end, last row the 1-long null condition
          const mask = { shape: [B, S], data: Float64Array.from({ length: B * S }, (_, i) => (i % S < S - Math.floor(i / S) * 3 ? 1 : 0)) };
          cross = { cond, mask };
          feeds.cond = f32(cond);
          feeds.cond_mask = f32(mask);
        }
        const out = await s.run(feeds);
        assert.deepEqual(out.x0_hat.dims, [B, L, cfg.latentDim]);
        const err = maxAbsDiff(out.x0_hat.data as Float32Array, denoiserRef(cfg, w, xt, xsc, t, cross).data);
        assert.ok(err <= TOL, `max abs err ${err}`);
      }
    });
  }

  test("per-row t: each row sees its own time", async () => {
    const cfg = tinyConfig("generate");
    const s = await sessionFor(buildDenoiser(cfg, randomWeights(cfg, 6)));
    const rnd = gaussian(7);
    const row = asF32(randomTensor([1, 4, cfg.latentDim], rnd));
    const two = { shape: [2, 4, cfg.latentDim], data: Float64Array.from([...row.data, ...row.data]) };
    const out = await s.run({ x_t: f32(two), x_sc: f32(two), t: new (await import("onnxruntime-node")).Tensor("float32", Float32Array.from([0.1, 0.9]), [2]) });
    const y = out.x0_hat.data as Float32Array;
    const n = 4 * cfg.latentDim;
    assert.ok(maxAbsDiff(y.subarray(0, n), y.subarray(n)) > 1e-3, "identical rows with different t gave the same output");
  });
});

describe("decoder graph", () => {
  test("logits match the reference and ids are their argmax", async () => {
    const cfg = tinyConfig("generate");
    const w = randomWeights(cfg, 8);
    const s = await sessionFor(buildDecoder(cfg, w));
    const rnd = gaussian(9);
    for (const [B, L] of SHAPES) {
      const lat = asF32(randomTensor([B, L, cfg.latentDim], rnd));
      const out = await s.run({ latents: f32(lat) });
      const ref = decoderRef(cfg, w, lat);
      assert.ok(maxAbsDiff(out.logits.data as Float32Array, ref.data) <= TOL);
      const logits = out.logits.data as Float32Array;
      const ids = out.ids.data as BigInt64Array;
      assert.deepEqual(out.ids.dims, [B, L]);
      for (let r = 0; r < B * L; r++) {
        const row = logits.subarray(r * cfg.vocabSize, (r + 1) * cfg.vocabSize);
        assert.equal(Number(ids[r]), row.indexOf(Math.max(...row)));
      }
    }
  });
});

describe("cond_encoder graph", () => {
  test("cond matches the reference with key padding; null_cond is cond.null", async () => {
    const cfg = tinyConfig("summarize");
    const w = randomWeights(cfg, 10);
    const s = await sessionFor(buildCondEncoder(cfg, w));
    const rnd = gaussian(11);
    for (const [B, S] of [
      [2, 9],
      [3, 4],
    ]) {
      const ids = Array.from({ length: B * S }, () => Math.floor(Math.abs(rnd() * 1000)) % cfg.vocabSize);
      const mask = { shape: [B, S], data: Float64Array.from({ length: B * S }, (_, i) => (i % S < S - (Math.floor(i / S) % 3) ? 1 : 0)) };
      const out = await s.run({ tokens: i64(ids, [B, S]), mask: f32(mask) });
      assert.deepEqual(out.cond.dims, [B, S, cfg.condEnc!.dModel]);
      const err = maxAbsDiff(out.cond.data as Float32Array, condEncoderRef(cfg, w, ids, mask).data);
      assert.ok(err <= TOL, `max abs err ${err}`);
      assert.deepEqual(out.null_cond.dims, [1, cfg.condEnc!.dModel]);
      assert.deepEqual(Array.from(out.null_cond.data as Float32Array), Array.from(w.get("cond.null")!.data));
    }
  });
});

describe("ar_decoder graph", () => {
  const arDec = { dModel: 24, heads: 2, layers: 2, ffn: 48 }; // its own width (D ≠ dec's), cross-attention of width D
  const argmax = (a: ArrayLike<number>, off: number, n: number): number => {
    let best = 0;
    for (let v = 1; v < n; v++) if (a[off + v] > a[off + best]) best = v;
    return best;
  };

  test("exists only for a config with arDec", () => {
    assert.deepEqual(graphsForTask(tinyConfig("generate")), ["encoder", "denoiser", "decoder"]);
    // By default ArDec is exported as its KV-cached pair; ar_decoder is built only when asked for.
    assert.deepEqual(graphsForTask(tinyConfig("generate", { arDec })), ["encoder", "denoiser", "decoder", "ar_memory", "ar_step"]);
    assert.deepEqual(graphsForTask(tinyConfig("summarize", { arDec })), ["encoder", "denoiser", "decoder", "cond_encoder", "ar_memory", "ar_step"]);
    assert.throws(() => buildArDecoder(tinyConfig("generate"), new Map()), /needs a model config with arDec/);
    assert.throws(() => buildArMemory(tinyConfig("generate"), new Map()), /ar_memory needs a model config with arDec/);
    assert.throws(() => buildArStep(tinyConfig("generate"), new Map()), /ar_step needs a model config with arDec/);
  });

  test("next_logits = the teacher-forced logits at position T − 1 (float64 and TF.js references), next_ids their argmax", async () => {
    const cfg = tinyConfig("generate", { arDec });
    const w = randomWeights(cfg, 30);
    const s = await sessionFor(buildArDecoder(cfg, w));
    const norm = { kind: "data" as const, mean: new Array<number>(cfg.latentDim).fill(0), sq: new Array<number>(cfg.latentDim).fill(1) };
    const tf = await tfjsReference(cfg, w, norm);
    assert.ok(tf.ok, tf.ok ? "" : tf.reason);
    const rnd = gaussian(31);
    const V = cfg.vocabSize;
    for (const [B, L] of SHAPES) {
      const lat = asF32(randomTensor([B, L, cfg.latentDim], rnd));
      // BOS then random tokens; the references read the whole row (teacher forcing, every position
      // sees only the tokens before it), the graph only the first T: causality is what makes them agree.
      const full = Array.from({ length: B * L }, (_, i) => (i % L === 0 ? BOS_ID : Math.floor(Math.abs(rnd() * 1000)) % V));
      const js = arDecoderRef(cfg, w, lat, full, L).data;
      const tfl = await tf.forward.arDecode(lat, full, L);
      assert.ok(maxAbsDiff(tfl, js) <= 1e-4, "TF.js ArDecoder and the float64 reference differ");
      for (const T of [...new Set([1, 2, Math.ceil(L / 2), L])]) {
        const prefix = Array.from({ length: B * T }, (_, i) => full[Math.floor(i / T) * L + (i % T)]);
        const out = await s.run({ latents: f32(lat), tokens: i64(prefix, [B, T]) });
        assert.deepEqual(out.next_logits.dims, [B, V]);
        assert.deepEqual(out.next_ids.dims, [B]);
        const got = out.next_logits.data as Float32Array;
        const at = (ref: ArrayLike<number>) => Float64Array.from({ length: B * V }, (_, i) => ref[(Math.floor(i / V) * L + T - 1) * V + (i % V)]);
        const errJs = maxAbsDiff(got, at(js));
        const errTf = maxAbsDiff(got, at(tfl));
        assert.ok(errJs <= TOL && errTf <= TOL, `B=${B} L=${L} T=${T}: max abs err ${errJs} (float64), ${errTf} (TF.js)`);
        const ids = out.next_ids.data as BigInt64Array;
        for (let b = 0; b < B; b++) assert.equal(Number(ids[b]), argmax(got, b * V, V));
      }
    }
    tf.forward.dispose?.();
  });

  test("the cross-attention reads every latent: changing the last latent changes the first step", async () => {
    const cfg = tinyConfig("generate", { arDec });
    const s = await sessionFor(buildArDecoder(cfg, randomWeights(cfg, 32)));
    const rnd = gaussian(33);
    const L = 6;
    const lat = asF32(randomTensor([1, L, cfg.latentDim], rnd));
    const moved = { shape: lat.shape, data: Float64Array.from(lat.data, (v, i) => (i >= (L - 1) * cfg.latentDim ? v + 1 : v)) };
    const a = (await s.run({ latents: f32(lat), tokens: i64([BOS_ID], [1, 1]) })).next_logits.data as Float32Array;
    const b = (await s.run({ latents: f32(moved), tokens: i64([BOS_ID], [1, 1]) })).next_logits.data as Float32Array;
    assert.ok(maxAbsDiff(a, b) > 1e-3);
  });
});

describe("ArDec KV-cached pair (ar_memory + ar_step)", () => {
  const arDec = { dModel: 24, heads: 2, layers: 2, ffn: 48 };
  const H = arDec.heads;
  const dh = arDec.dModel / arDec.heads;

  test("ar_memory's I/O: memory [B, L, D] and per-layer cross K/V [B, H, L, dh]; ar_step's: token, memory, cross and past K/V → logits, ids, present K/V", async () => {
    const cfg = tinyConfig("generate", { arDec });
    const w = randomWeights(cfg, 34);
    const mem = buildArMemory(cfg, w);
    const step = buildArStep(cfg, w);
    assert.deepEqual(mem.inputs.map((i) => i.name), ["latents"]);
    assert.deepEqual(mem.outputs.map((o) => [o.name, o.shape]), [["memory", ["B", "L", 24]], ["cross_k_0", ["B", H, "L", dh]], ["cross_v_0", ["B", H, "L", dh]], ["cross_k_1", ["B", H, "L", dh]], ["cross_v_1", ["B", H, "L", dh]]]);
    assert.deepEqual(step.inputs.map((i) => i.name), ["token", "memory", "cross_k_0", "cross_v_0", "cross_k_1", "cross_v_1", "past_k_0", "past_v_0", "past_k_1", "past_v_1"]);
    assert.deepEqual(step.outputs.map((o) => [o.name, o.shape]), [["next_logits", ["B", cfg.vocabSize]], ["next_ids", ["B"]], ["present_k_0", ["B", H, "P+1", dh]], ["present_v_0", ["B", H, "P+1", dh]], ["present_k_1", ["B", H, "P+1", dh]], ["present_v_1", ["B", H, "P+1", dh]]]);
  });

  test("stepping over its own present K/V from an empty past gives, at every position, ar_decoder's next_logits (≤ 1e-5) and the float64 reference's (≤ 1e-4), and the same ids", async () => {
    const cfg = tinyConfig("generate", { arDec });
    const w = randomWeights(cfg, 35);
    const [mem, step, whole] = await Promise.all([sessionFor(buildArMemory(cfg, w)), sessionFor(buildArStep(cfg, w)), sessionFor(buildArDecoder(cfg, w))]);
    const rnd = gaussian(36);
    const V = cfg.vocabSize;
    for (const [B, L] of SHAPES) {
      const lat = asF32(randomTensor([B, L, cfg.latentDim], rnd));
      const full = Array.from({ length: B * L }, (_, i) => (i % L === 0 ? BOS_ID : Math.floor(Math.abs(rnd() * 1000)) % V));
      const ref = arDecoderRef(cfg, w, lat, full, L).data;
      const feeds: Record<string, ort.Tensor> = { ...(await mem.run({ latents: f32(lat) })) };
      assert.deepEqual(feeds.memory.dims, [B, L, arDec.dModel]);
      for (const n of step.inputNames) if (n.startsWith("past_")) feeds[n] = new ort.Tensor("float32", new Float32Array(0), [B, H, 0, dh]);
      let errWhole = 0;
      let errRef = 0;
      for (let P = 0; P < L; P++) {
        const out = await step.run({ ...feeds, token: i64(Array.from({ length: B }, (_, b) => full[b * L + P]), [B, 1]) });
        for (const n of step.inputNames) if (n.startsWith("past_")) feeds[n] = out[n.replace("past_", "present_")];
        assert.deepEqual(out.present_k_1.dims, [B, H, P + 1, dh]);
        const T = P + 1;
        const prefix = Array.from({ length: B * T }, (_, i) => full[Math.floor(i / T) * L + (i % T)]);
        const u = await whole.run({ latents: f32(lat), tokens: i64(prefix, [B, T]) });
        const got = out.next_logits.data as Float32Array;
        errWhole = Math.max(errWhole, maxAbsDiff(got, u.next_logits.data as Float32Array));
        errRef = Math.max(errRef, maxAbsDiff(got, Float64Array.from({ length: B * V }, (_, i) => ref[(Math.floor(i / V) * L + P) * V + (i % V)])));
        assert.deepEqual(Array.from(out.next_ids.data as BigInt64Array), Array.from(u.next_ids.data as BigInt64Array), `B=${B} L=${L} position ${P}`);
      }
      assert.ok(errWhole <= 1e-5 && errRef <= TOL, `B=${B} L=${L}: max abs err ${errWhole} (ar_decoder), ${errRef} (float64)`);
    }
    await Promise.all([mem.release(), step.release(), whole.release()]);
  });
});
