// Diagnostic: per-t one-step x̂0 token accuracy and partial-noise DDIM round trips on validation stories.
import * as tf from "@tensorflow/tfjs";
import { CompactTokenizer, ddimStep, gaussianNoise, makeSchedule } from "@ldtext/core";
import { initBackend } from "@ldtext/training/backend/index.ts";
import { loadCheckpoint } from "@ldtext/training/train/checkpoint.ts";
import { buildNetworks } from "@ldtext/training/model/inference.ts";
import { loadCorpus, tokenizeSplit, gatherBatch } from "@ldtext/training/train/data.ts";

await initBackend("auto", { log: null });
const ck = await loadCheckpoint(process.argv[2]);
const mc = ck.modelConfig;
const nets = buildNetworks(mc, ck.ema ?? ck.weights, ck.norm);
const tok = CompactTokenizer.fromJSON(ck.vocabulary);
const corpus = await loadCorpus("generate", "rocstories", { maxTrain: 10 });
const split = tokenizeSplit(tok, corpus.validation.slice(0, 16), mc.maxLen);
const batch = gatherBatch(split, Array.from({ length: 16 }, (_, i) => i));
const b = 16, L = mc.maxLen, d = mc.latentDim, n = L * d;
const sched = makeSchedule(mc.schedule);
const x0 = tf.tidy(() => nets.encode(tf.tensor2d(batch.tokens, [b, L], "int32")));
const x0d = x0.dataSync() as Float32Array;
const acc = (ids: Int32Array) => { let c = 0, k = 0; for (let i = 0; i < ids.length; i++) { if (batch.tokens[i] === 0) continue; k++; if (ids[i] === batch.tokens[i]) c++; } return c / k; };
const decodeIds = (lat: Float32Array) => tf.tidy(() => Int32Array.from(tf.argMax(nets.decode(tf.tensor3d(lat, [b, L, d])), -1).dataSync() as Int32Array));
for (const t0 of [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7]) {
  const eps = gaussianNoise(7, 0, 0, b * n);
  const a = sched.alpha(t0), s = sched.sigma(t0);
  let x = Float32Array.from(x0d, (v, i) => a * v + s * eps[i]);
  // one step
  const one = tf.tidy(() => Float32Array.from(nets.denoise(tf.tensor3d(x, [b, L, d]), tf.zeros([b, L, d]), tf.fill([b], t0) as tf.Tensor1D).dataSync() as Float32Array));
  const acc1 = acc(decodeIds(one));
  // DDIM from t0 with 50 * t0 steps, self-conditioned
  const steps = Math.max(2, Math.round(50 * t0));
  let xsc = new Float32Array(b * n), xh = xsc;
  for (let i = 0; i < steps; i++) {
    const t = t0 + ((0.01 - t0) * i) / steps, sN = t0 + ((0.01 - t0) * (i + 1)) / steps;
    xh = tf.tidy(() => Float32Array.from(nets.denoise(tf.tensor3d(x, [b, L, d]), tf.tensor3d(xsc, [b, L, d]), tf.fill([b], t) as tf.Tensor1D).dataSync() as Float32Array));
    const nx = new Float32Array(b * n); ddimStep(x, xh, t, sN, sched, nx); x = nx; xsc = xh;
  }
  const ids = decodeIds(xh);
  console.log(`t0 ${t0} snr ${(a * a / (s * s)).toFixed(4)}: one-step acc ${(100 * acc1).toFixed(1)} %, ddim(${steps}) acc ${(100 * acc(ids)).toFixed(1)} %`);
  console.log(`   orig: ${tok.decodeSample(batch.tokens.subarray(0, L))}`);
  console.log(`   back: ${tok.decodeSample(ids.subarray(0, L))}`);
}
