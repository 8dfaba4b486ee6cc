// The exporter's entry points: a checkpoint written by saveCheckpoint and read by loadCheckpoint
// gives, through buildNetworks, exactly the training model's forwards (encode incl. DataNorm,
// denoise with cross-attention, decode, condition encoder).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { CompactTokenizer, gaussianNoise, modelConfigFromPreset } from "@ldtext/core";
import { initBackend } from "../backend/index.ts";
import { LatentDiffusionModel } from "./model.ts";
import { buildNetworks } from "./inference.ts";
import { loadCheckpoint, saveCheckpoint } from "@ldtext/core";

before(async () => {
  await initBackend("wasm", { log: null });
});

test("checkpoint round trip + buildNetworks reproduce the training model's forwards bit for bit", async () => {
  const tok = CompactTokenizer.build(["a tiny corpus for a tiny vocabulary"], { topK: 20 });
  const cfg = modelConfigFromPreset("tiny", "summarize", tok.vocabSize);
  const model = LatentDiffusionModel.create(cfg, 3);
  model.norm.update(Float32Array.from({ length: cfg.latentDim }, (_, i) => 0.01 * i), Float32Array.from({ length: cfg.latentDim }, (_, i) => 1 + 0.1 * i));
  const dir = join(mkdtempSync(join(tmpdir(), "ldtext-ckpt-")), "checkpoint");
  await saveCheckpoint(dir, { modelConfig: cfg, vocabulary: tok.toJSON(), trainConfig: { note: "test" }, step: 7, weights: model.snapshot(), norm: model.norm.state() });
  const ck = await loadCheckpoint(dir);
  assert.equal(ck.step, 7);
  assert.deepEqual(ck.modelConfig, cfg);
  assert.deepEqual(Array.from(ck.norm.mean!), Array.from(model.norm.mean!));
  const nets = buildNetworks(ck.modelConfig, ck.weights, ck.norm);
  const W = model.weights();
  const B = 2, L = cfg.maxLen, S = cfg.condMaxLen!, d = cfg.latentDim;
  const tokens = tf.tensor2d(Int32Array.from({ length: B * L }, (_, i) => (i % L < 6 ? 3 + (i % tok.vocabSize) % 200 : 0)), [B, L], "int32");
  const docs = tf.tensor2d(Int32Array.from({ length: B * S }, (_, i) => 5 + (i % 40)), [B, S], "int32");
  const mask = tf.tensor2d(Float32Array.from({ length: B * S }, (_, i) => (i % S < 10 + 5 * Math.floor(i / S) ? 1 : 0)), [B, S]);
  const xt = tf.tensor3d(gaussianNoise(1, 1, 0, B * L * d), [B, L, d]);
  const xsc = tf.tensor3d(gaussianNoise(1, 1, 1, B * L * d), [B, L, d]);
  const t = tf.tensor1d([0.25, 0.8]);
  const same = (a: tf.Tensor, b: tf.Tensor, what: string) => assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()), what);

  same(nets.encode(tokens), tf.tidy(() => model.norm.apply(model.nets.enc.forward(tokens, W))), "encode");
  const cond = nets.encodeCondition(docs, mask);
  same(cond, tf.tidy(() => model.nets.condEnc!.forward(docs, mask, W)), "encodeCondition");
  same(nets.denoise(xt, xsc, t, cond, mask), tf.tidy(() => model.nets.dif.forward({ xt, xsc, t, cond, condMask: mask }, W)), "denoise");
  same(nets.decode(xt), tf.tidy(() => model.nets.dec.forward(xt, W)), "decode");
  assert.deepEqual(nets.nullCondition().shape, [1, cfg.condEnc!.dModel]);
  // Padding keys do not matter: changing padded document tokens leaves the output unchanged.
  const docs2 = tf.tidy(() => tf.where(tf.cast(mask, "bool"), docs, tf.fill([B, S], 9, "int32")) as tf.Tensor2D);
  const c2 = nets.encodeCondition(docs2, mask);
  const a = nets.denoise(xt, xsc, t, cond, mask).dataSync();
  const b = nets.denoise(xt, xsc, t, c2, mask).dataSync();
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5, "padding leaked into the denoiser");
  nets.dispose();
  model.dispose();
  tok.free();
});

test("buildNetworks refuses data normalization without statistics and weights of the wrong shape", () => {
  const cfg = modelConfigFromPreset("tiny", "generate", 300);
  const model = LatentDiffusionModel.create(cfg, 1);
  const w = model.snapshot();
  assert.throws(() => buildNetworks(cfg, w), /statistics/);
  const bad = new Map(w);
  bad.set("enc.out.b", { shape: [3], data: new Float32Array(3) });
  assert.throws(() => buildNetworks(cfg, bad, { kind: "data", mean: new Float32Array(16), sq: new Float32Array(16).fill(1) }), /enc\.out\.b/);
  model.dispose();
});

test("a serving artifact's weights (no encoder) still build: the encoder forward refuses, the others run", () => {
  const tok = CompactTokenizer.build(["a tiny corpus for a tiny vocabulary"], { topK: 20 });
  const cfg = modelConfigFromPreset("tiny", "generate", tok.vocabSize);
  const model = LatentDiffusionModel.create(cfg, 5);
  const weights = new Map([...model.snapshot()].filter(([name]) => !name.startsWith("enc.")));
  const nets = buildNetworks(cfg, weights, model.norm.state());
  const tokens = tf.zeros([1, cfg.maxLen], "int32") as tf.Tensor2D;
  assert.throws(() => nets.encode(tokens), /weights lack "enc\./);
  const x = tf.zeros([1, cfg.maxLen, cfg.latentDim]) as tf.Tensor3D;
  assert.deepEqual(nets.denoise(x, x, tf.tensor1d([0.5])).shape, [1, cfg.maxLen, cfg.latentDim]);
  assert.deepEqual(nets.decode(x).shape, [1, cfg.maxLen, cfg.vocabSize]);
  nets.dispose();
});

test("arDecode is the model's ArDecoder on the checkpoint weights; a model without ArDec says it has none", () => {
  const base = modelConfigFromPreset("tiny", "generate", 300);
  const cfg = { ...base, arDec: { ...base.dec } };
  const model = LatentDiffusionModel.create(cfg, 6);
  const nets = buildNetworks(cfg, model.snapshot(), model.norm.state());
  const B = 2, L = cfg.maxLen, T = 5;
  const x = tf.tensor3d(gaussianNoise(2, 1, 0, B * L * cfg.latentDim), [B, L, cfg.latentDim]);
  const prev = tf.tensor2d(Int32Array.from({ length: B * T }, (_, i) => (i % T === 0 ? 1 : 3 + i)), [B, T], "int32");
  const want = tf.tidy(() => model.nets.arDec!.forward(x, prev, model.weights()));
  const got = nets.arDecode(x, prev);
  assert.deepEqual(got.shape, [B, T, cfg.vocabSize]);
  assert.deepEqual(Array.from(got.dataSync()), Array.from(want.dataSync()));
  nets.dispose();
  model.dispose();
  const plain = LatentDiffusionModel.create(base, 6);
  const noArd = buildNetworks(base, plain.snapshot(), plain.norm.state());
  assert.throws(() => noArd.arDecode(x, prev), /no ArDec/);
  noArd.dispose();
  plain.dispose();
});
