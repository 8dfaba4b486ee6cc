// Gradient routing of configurations 1–3 (METHOD.md §2): a step of L_dif alone leaves Enc/Dec
// bit-identical, a step of L_ae alone leaves Dif and CondEnc bit-identical, and L_ae still moves Enc
// although in configuration 1 its only path to Enc runs through Dif.
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { gaussianNoise, modelConfigFromPreset, type Task } from "@ldtext/core";
import { initBackend } from "../backend/index.ts";
import type { FloatWeights } from "@ldtext/core";
import { LatentDiffusionModel } from "../model/model.ts";
import { networkOf } from "@ldtext/core";
import { JointObjective, type Batch, type LossConfigId, type StepNoise } from "./objective.ts";
import { AdamW, DEFAULT_OPTIMIZER } from "./optimizer.ts";

const B = 4;
const L = 16;
const S = 32;

function makeBatch(task: Task): Batch {
  const tokens = new Int32Array(B * L);
  for (let i = 0; i < B * L; i++) tokens[i] = i % L < 9 ? 3 + ((i * 37) % 250) : i % L === 9 ? 2 : 0;
  const batch: Batch = { tokens, batch: B, length: L };
  if (task === "summarize") {
    const mask = new Float32Array(B * S).map((_, i) => (i % S < 20 ? 1 : 0));
    batch.cond = { tokens: new Int32Array(B * S).map((_, i) => (mask[i] ? 3 + ((i * 11) % 250) : 0)), mask, length: S };
  }
  return batch;
}

function makeNoise(config: LossConfigId, task: Task, d: number): StepNoise {
  const noise: StepNoise = { t: Float32Array.from([0.1, 0.4, 0.7, 0.95]), eps: gaussianNoise(3, 1, 0, B * L * d), selfCond: true };
  if (task === "summarize") noise.condKeep = Float32Array.from([1, 0, 1, 1]);
  if (config === 3) {
    // Decoder-input noise on a subset of rows (the first 2 of 4).
    noise.decT = Float32Array.from([0.01, 0.15]);
    noise.decEps = gaussianNoise(3, 1, 1, 2 * L * d);
  }
  return noise;
}

function changed(before: FloatWeights, after: FloatWeights, net: string): { identical: boolean; anyChanged: boolean } {
  let identical = true;
  let anyChanged = false;
  for (const [name, w] of before) {
    if (networkOf(name) !== net) continue;
    const a = after.get(name)!.data;
    const same = w.data.every((v, i) => Object.is(v, a[i]));
    identical &&= same;
    anyChanged ||= !same;
  }
  return { identical, anyChanged };
}

before(async () => {
  await initBackend("wasm", { log: null });
});

for (const task of ["generate", "summarize"] as const) {
  for (const config of [1, 2, 3] as const) {
    describe(`gradient routing, ${task}, configuration ${config}`, () => {
      const run = (which: "dif" | "ae") => {
        const cfg = modelConfigFromPreset("tiny", task, 300);
        const model = LatentDiffusionModel.create(cfg, 7);
        const opt = new AdamW(model, { ...DEFAULT_OPTIMIZER, lr: 1e-2, totalSteps: 10, warmupSteps: 0 });
        const obj = new JointObjective(model);
        const before = model.snapshot();
        const r = obj.step(makeBatch(task), makeNoise(config, task, cfg.latentDim), { lossConfig: config, coupling: 0.5, want: { dif: which === "dif", ae: which === "ae" } });
        opt.apply(which === "dif" ? r.difGrads : r.aeGrads, 1);
        tf.dispose([...r.difGrads.values(), ...r.aeGrads.values()]);
        const after = model.snapshot();
        opt.dispose();
        model.dispose();
        return { before, after, r };
      };

      test("an L_dif step moves Dif (and CondEnc) and leaves Enc/Dec bit-identical", () => {
        const { before, after, r } = run("dif");
        assert.equal(r.aeGrads.size, 0);
        assert.ok(changed(before, after, "dif").anyChanged, "Dif did not move");
        assert.ok(changed(before, after, "enc").identical, "Enc moved under L_dif");
        assert.ok(changed(before, after, "dec").identical, "Dec moved under L_dif");
        if (task === "summarize") assert.ok(changed(before, after, "cond").anyChanged, "CondEnc is trained by L_dif");
        assert.ok(Number.isFinite(r.losses.dif) && r.losses.dif > 0);
      });

      test("an L_ae step moves Enc and Dec (through Dif) and leaves Dif/CondEnc bit-identical", () => {
        const { before, after, r } = run("ae");
        assert.equal(r.difGrads.size, 0);
        assert.ok(changed(before, after, "dif").identical, "Dif moved under L_ae");
        if (task === "summarize") assert.ok(changed(before, after, "cond").identical, "CondEnc moved under L_ae");
        assert.ok(changed(before, after, "dec").anyChanged, "Dec did not move");
        assert.ok(changed(before, after, "enc").anyChanged, "Enc did not move: no gradient through Dif");
        if (config >= 2) assert.ok(r.losses.align !== undefined && r.losses.align > 0);
        if (config === 3) assert.ok(r.losses.ceNoisy !== undefined && r.losses.ceClean !== undefined);
      });
    });
  }
}

test("configuration 1: Enc's gradient equals the gradient through Dif's computation", () => {
  // L_ae = CE(Dec(Dif(α·Norm(Enc(w)) + σε))) alone reaches Enc only through Dif, so the routed
  // gradient must match tf.grads of that composite (built independently here).
  const cfg = modelConfigFromPreset("tiny", "generate", 300, { norm: "sphere" });
  const model = LatentDiffusionModel.create(cfg, 11);
  const obj = new JointObjective(model);
  const batch = makeBatch("generate");
  const noise = { ...makeNoise(1, "generate", cfg.latentDim), selfCond: false };
  const r = obj.step(batch, noise, { lossConfig: 1, coupling: 1, want: { dif: false, ae: true } });
  const name = "enc.out.w";
  const routed = r.aeGrads.get(name)!.dataSync();
  const W = model.weights();
  const ref = tf.tidy(() => {
    const tokens = tf.tensor2d(batch.tokens, [B, L], "int32");
    const a = tf.tensor3d(Float32Array.from(noise.t, (t) => obj.schedule.alpha(t)), [B, 1, 1]);
    const s = tf.tensor3d(Float32Array.from(noise.t, (t) => obj.schedule.sigma(t)), [B, 1, 1]);
    const g = tf.grad((wOut: tf.Tensor) => {
      const e = model.nets.enc.forward(tokens, { ...W, [name]: wOut });
      const x0 = model.norm.apply(e);
      const xt = tf.add(tf.mul(a, x0), tf.mul(s, tf.tensor3d(noise.eps, [B, L, cfg.latentDim]))) as tf.Tensor3D;
      const xhat = model.nets.dif.forward({ xt, xsc: tf.zerosLike(xt), t: tf.tensor1d(noise.t) }, W);
      const logits = tf.reshape(model.nets.dec.forward(xhat, W), [-1, cfg.vocabSize]);
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.reshape(tokens, [-1]) as tf.Tensor1D, cfg.vocabSize), logits);
    })(W[name]);
    return g.dataSync();
  });
  let maxDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < routed.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(routed[i] - ref[i]));
    maxAbs = Math.max(maxAbs, Math.abs(ref[i]));
  }
  assert.ok(maxAbs > 0, "reference gradient is zero");
  assert.ok(maxDiff <= 1e-4 * maxAbs + 1e-7, `routed vs reference gradient differ by ${maxDiff} (max ${maxAbs})`);
  tf.dispose([...r.aeGrads.values()]);
  model.dispose();
});

test("a training step leaks no tensors", () => {
  const cfg = modelConfigFromPreset("tiny", "summarize", 300);
  const model = LatentDiffusionModel.create(cfg, 5);
  const opt = new AdamW(model, { ...DEFAULT_OPTIMIZER, lr: 1e-3, totalSteps: 10, warmupSteps: 1 });
  const obj = new JointObjective(model);
  const step = (i: number) => {
    const r = obj.step(makeBatch("summarize"), { ...makeNoise(3, "summarize", cfg.latentDim), selfCond: i % 2 === 0 }, { lossConfig: 3, coupling: 0.5, want: { dif: true, ae: true } });
    opt.apply(r.difGrads, i);
    opt.apply(r.aeGrads, i);
    opt.updateEma(i);
  };
  step(1);
  step(2);
  const n = tf.memory().numTensors;
  for (let i = 3; i <= 6; i++) step(i);
  assert.equal(tf.memory().numTensors, n);
  opt.dispose();
  model.dispose();
});

test("a frozen condition encoder (--freeze-cond): L_dif trains Dif and the null condition only, and cached document features give the same step", () => {
  const cfg = modelConfigFromPreset("tiny", "summarize", 300);
  const model = LatentDiffusionModel.create(cfg, 6);
  const obj = new JointObjective(model, { trainCondEncoder: false });
  const batch = makeBatch("summarize");
  const noise = makeNoise(1, "summarize", cfg.latentDim);
  const live = obj.step(batch, noise, { lossConfig: 1, coupling: 1, want: { dif: true, ae: false } });
  const trained = [...live.difGrads.keys()];
  assert.ok(trained.includes("cond.null"), "the null condition is still learned");
  assert.deepEqual(trained.filter((n) => n.startsWith("cond.")), ["cond.null"], "no CondEnc trunk weight gets a gradient");
  assert.ok(trained.some((n) => n.startsWith("dif.")));
  const features = tf.tidy(() => model.nets.condEnc!.forward(tf.tensor2d(batch.cond!.tokens, [B, S], "int32"), tf.tensor2d(batch.cond!.mask, [B, S]), model.weights()));
  const cached = obj.step({ ...batch, condFeatures: Float32Array.from(features.dataSync() as Float32Array) }, noise, { lossConfig: 1, coupling: 1, want: { dif: true, ae: false } });
  assert.ok(Math.abs(cached.losses.dif - live.losses.dif) <= 1e-6 * live.losses.dif, `L_dif ${cached.losses.dif} (cached features) vs ${live.losses.dif}`);
  const trainedAll = new JointObjective(model).step(batch, noise, { lossConfig: 1, coupling: 1, want: { dif: true, ae: false } });
  assert.ok([...trainedAll.difGrads.keys()].includes("cond.blocks.0.attn.wq"), "by default CondEnc is trained");
  tf.dispose([features, ...live.difGrads.values(), ...cached.difGrads.values(), ...trainedAll.difGrads.values()]);
  model.dispose();
});

test("decoder-only (--decoder-only): cached encodings, Dec alone moves, its CE reads Dif's prediction and noised x0, and L_dif is the same number as a Dif step's", () => {
  const cfg = modelConfigFromPreset("tiny", "summarize", 300);
  const model = LatentDiffusionModel.create(cfg, 8);
  const opt = new AdamW(model, { ...DEFAULT_OPTIMIZER, lr: 1e-2, totalSteps: 10, warmupSteps: 0 });
  const batch = makeBatch("summarize");
  const noise = makeNoise(3, "summarize", cfg.latentDim);
  const encodings = tf.tidy(() => model.nets.enc.forward(tf.tensor2d(batch.tokens, [B, L], "int32"), model.weights()));
  const cachedBatch = { ...batch, encodings: Float32Array.from(encodings.dataSync() as Float32Array) };
  encodings.dispose();
  // A joint objective refuses cached encodings when the encoder would train.
  assert.throws(() => new JointObjective(model).step(cachedBatch, noise, { lossConfig: 1, coupling: 1, want: { dif: false, ae: true } }), /frozen encoder/);
  const difOnly = new JointObjective(model).step(batch, noise, { lossConfig: 1, coupling: 1, want: { dif: true, ae: false } });
  tf.dispose([...difOnly.difGrads.values()]);
  const obj = new JointObjective(model, { trainEncoder: false, trainCondEncoder: false });
  const before = model.snapshot();
  const n = tf.memory().numTensors;
  // Configuration 1 on purpose: the decoder-noise rows are on in decoder-only mode whatever the configuration.
  const r = obj.step(cachedBatch, noise, { lossConfig: 1, coupling: 1, want: { dif: false, ae: true } });
  assert.equal(r.difGrads.size, 0);
  assert.ok([...r.aeGrads.keys()].every((k) => k.startsWith("dec.")), "only Dec gets gradients");
  assert.ok(r.losses.ce! > 0 && r.losses.ceNoisy! > 0, "both decoder terms are in the loss");
  assert.equal(r.losses.align, undefined, "the alignment term trains Enc only: skipped");
  assert.ok(Math.abs(r.losses.ae - (r.losses.ce! + r.losses.ceNoisy!)) < 1e-5 * r.losses.ae);
  assert.ok(Math.abs(r.losses.dif - difOnly.losses.dif) <= 1e-5 * difOnly.losses.dif, `L_dif ${r.losses.dif} vs ${difOnly.losses.dif} of a Dif step`);
  opt.apply(r.aeGrads, 1);
  tf.dispose([...r.aeGrads.values()]);
  assert.equal(tf.memory().numTensors, n, "the step leaks no tensors");
  const after = model.snapshot();
  assert.ok(changed(before, after, "dec").anyChanged, "Dec did not move");
  for (const net of ["enc", "dif", "cond"]) assert.ok(changed(before, after, net).identical, `${net} moved`);
  opt.dispose();
  model.dispose();
});
