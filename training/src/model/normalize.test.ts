// Normalizations (MODEL-SPEC "Normalization"): the DataNorm EMA formula, and each kind's output
// statistics.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { SeededRandom } from "@ldtext/core";
import { initBackend } from "../backend/index.ts";
import { Normalizer } from "./normalize.ts";

const B = 3;
const L = 5;
const D = 4;

function randomBatch(rng: SeededRandom, scale: number, shift: number): { e: Float32Array; tokens: Int32Array } {
  const e = Float32Array.from({ length: B * L * D }, (_, i) => shift * ((i % D) + 1) + scale * rng.nextGaussian());
  // Rows end in PAD (id 0) after a varying number of tokens.
  const tokens = Int32Array.from({ length: B * L }, (_, i) => (i % L < 2 + Math.floor(i / L) ? 10 + i : 0));
  return { e, tokens };
}

/** Per-feature mean and mean square over the non-PAD positions (float64 reference). */
function maskedMoments(e: Float32Array, tokens: Int32Array): { m1: number[]; m2: number[] } {
  const m1 = new Array<number>(D).fill(0);
  const m2 = new Array<number>(D).fill(0);
  let n = 0;
  for (let p = 0; p < B * L; p++) {
    if (tokens[p] === 0) continue;
    n++;
    for (let j = 0; j < D; j++) {
      const v = e[p * D + j];
      m1[j] += v;
      m2[j] += v * v;
    }
  }
  return { m1: m1.map((x) => x / n), m2: m2.map((x) => x / n) };
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

before(async () => {
  await initBackend("wasm", { log: null });
});

test("DataNorm statistics follow μ ← μ + α(x̄ − μ), q ← q + α(ȳ − q) over non-PAD positions, initialised from the first batch", () => {
  const alpha = 0.3;
  const norm = new Normalizer("data", D, alpha);
  const rng = new SeededRandom(1);
  let mu: number[] = [];
  let q: number[] = [];
  for (let step = 0; step < 4; step++) {
    const { e, tokens } = randomBatch(rng, 1 + step, step);
    // PAD positions get huge values: they must not enter the statistics.
    for (let p = 0; p < B * L; p++) if (tokens[p] === 0) for (let j = 0; j < D; j++) e[p * D + j] = 1e4;
    const { m1, m2 } = maskedMoments(e, tokens);
    if (step === 0) {
      mu = m1;
      q = m2;
    } else {
      mu = mu.map((m, j) => m + alpha * (m1[j] - m));
      q = q.map((v, j) => v + alpha * (m2[j] - v));
    }
    const x0 = tf.tidy(() => norm.train(tf.tensor3d(e, [B, L, D]), tf.tensor2d(tokens, [B, L], "int32")).dataSync());
    close(norm.mean!, mu, 1e-5, `μ after batch ${step}`);
    close(norm.sq!, q, 1e-5, `q after batch ${step}`);
    // x0 = (e − μ) / sqrt(q − μ² + 1e-5) with the updated statistics.
    const expected = Float32Array.from(e, (v, i) => (v - mu[i % D]) / Math.sqrt(q[i % D] - mu[i % D] ** 2 + 1e-5));
    close(x0, expected, 1e-4, `x0 after batch ${step}`);
  }
  // The state round-trips (checkpoint) and inference uses it without updating.
  const copy = new Normalizer("data", D, alpha);
  copy.load(norm.state());
  const { e } = randomBatch(rng, 1, 0);
  const a = tf.tidy(() => norm.apply(tf.tensor3d(e, [B, L, D])).dataSync());
  const b = tf.tidy(() => copy.apply(tf.tensor3d(e, [B, L, D])).dataSync());
  assert.deepEqual(Array.from(a), Array.from(b));
  close(copy.mean!, mu, 1e-5, "loaded μ");
});

test("DataNorm output of the first batch has zero mean and unit variance per feature over non-PAD positions", () => {
  const norm = new Normalizer("data", D, 0.01);
  const { e, tokens } = randomBatch(new SeededRandom(2), 3, 5);
  const x0 = tf.tidy(() => norm.train(tf.tensor3d(e, [B, L, D]), tf.tensor2d(tokens, [B, L], "int32")).dataSync() as Float32Array);
  const { m1, m2 } = maskedMoments(x0, tokens);
  close(m1, [0, 0, 0, 0], 1e-4, "mean");
  close(m2, [1, 1, 1, 1], 1e-3, "variance");
});

test("SphereNorm gives every token norm √d", () => {
  const { e } = randomBatch(new SeededRandom(3), 2, 1);
  const x = tf.tidy(() => new Normalizer("sphere", D, 0.01).apply(tf.tensor3d(e, [B, L, D])).dataSync());
  for (let p = 0; p < B * L; p++) {
    const n = Math.hypot(...Array.from(x.subarray(p * D, (p + 1) * D)));
    assert.ok(Math.abs(n - Math.sqrt(D)) < 1e-4, `token ${p}: norm ${n}`);
  }
});

test("LayerNorm gives every token zero mean and unit variance over features", () => {
  const { e } = randomBatch(new SeededRandom(4), 2, 3);
  const x = tf.tidy(() => new Normalizer("layer", D, 0.01).apply(tf.tensor3d(e, [B, L, D])).dataSync());
  for (let p = 0; p < B * L; p++) {
    const row = Array.from(x.subarray(p * D, (p + 1) * D));
    const m = row.reduce((a, b) => a + b, 0) / D;
    const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / D;
    assert.ok(Math.abs(m) < 1e-5 && Math.abs(v - 1) < 1e-3, `token ${p}: mean ${m}, var ${v}`);
  }
});

test("BatchNorm (training) gives every feature zero mean and unit variance over batch and positions, and tracks running statistics", () => {
  const norm = new Normalizer("batch", D, 0.5);
  const { e, tokens } = randomBatch(new SeededRandom(5), 4, 2);
  const x = tf.tidy(() => norm.train(tf.tensor3d(e, [B, L, D]), tf.tensor2d(tokens, [B, L], "int32")).dataSync());
  for (let j = 0; j < D; j++) {
    const col = Array.from({ length: B * L }, (_, p) => x[p * D + j]);
    const m = col.reduce((a, b) => a + b, 0) / col.length;
    const v = col.reduce((a, b) => a + (b - m) ** 2, 0) / col.length;
    assert.ok(Math.abs(m) < 1e-5 && Math.abs(v - 1) < 1e-3, `feature ${j}: mean ${m}, var ${v}`);
    const raw = Array.from({ length: B * L }, (_, p) => e[p * D + j]);
    const rm = raw.reduce((a, b) => a + b, 0) / raw.length;
    assert.ok(Math.abs(norm.mean![j] - rm) < 1e-4 * (1 + Math.abs(rm)), "running mean initialised from the first batch");
  }
  // Inference with the running statistics of that single batch reproduces the training output.
  const y = tf.tidy(() => norm.apply(tf.tensor3d(e, [B, L, D])).dataSync());
  close(y, x, 1e-3, "inference vs training output");
});

test("data/batch inference without statistics is a clear error", () => {
  assert.throws(() => tf.tidy(() => new Normalizer("data", D, 0.01).apply(tf.zeros([1, 2, D]) as tf.Tensor3D)), /no statistics/);
});
