// STAND-IN — NOT THE PROJECT'S TRAINER. A joint training step (configuration 2, self-conditioning
// on) assembled from the model engineer's networks (training/src/model) for benchmarking the
// backend before the real step (training/src/train) exists. Same networks, same sizes, same kinds
// of passes: Enc → DataNorm-like normalize → x_t → Dif pass 1 (no gradient) → Dif pass 2 → Dec;
// L_dif updates only Dif, L_ae = CE + ‖x0 − SG[x̂0]‖² updates only Enc/Dec through Dif; AdamW.
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "@ldtext/core";
import { createNetworks, modelShapes, networkOf } from "../src/model/networks.ts";
import type { Weights } from "../src/model/layers.ts";
import { softmaxCrossEntropy, stopGradient } from "../src/ops/index.ts";

export interface BenchStep {
  /** One full training step on a fixed batch (forward, both gradient sets, optimizer update). */
  run(): { lossDif: number; lossAe: number };
  paramCount: number;
  dispose(): void;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function createStandInStep(cfg: ModelConfig, batchSize: number, seed = 1): BenchStep {
  const nets = createNetworks(cfg);
  const shapes = modelShapes(nets);
  const vars: Record<string, tf.Variable> = {};
  let paramCount = 0;
  let k = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    const isGain = name.endsWith("_norm") || name.endsWith(".b") || name.endsWith("b1") || name.endsWith("b2");
    const init = isGain ? (name.endsWith("_norm") ? tf.ones(shape) : tf.zeros(shape)) : tf.randomNormal(shape, 0, 0.02, "float32", seed + k++);
    vars[name] = tf.variable(init, true, name);
    init.dispose();
    paramCount += shape.reduce((a, b) => a * b, 1);
  }
  const difNames = Object.keys(vars).filter((n) => networkOf(n) === "dif");
  const aeNames = Object.keys(vars).filter((n) => networkOf(n) === "enc" || networkOf(n) === "dec");
  const optimizer = tf.train.adam(5e-4);

  const r = rng(seed);
  const len = cfg.maxLen;
  const ids = new Int32Array(batchSize * len);
  for (let i = 0; i < ids.length; i++) ids[i] = 3 + Math.floor(r() * (cfg.vocabSize - 3));
  const tokens = tf.tensor2d(ids, [batchSize, len], "int32");
  const labels = tf.reshape(tokens, [-1]) as tf.Tensor1D;
  const tRow = tf.tensor1d(Array.from({ length: batchSize }, () => 0.05 + 0.9 * r()));
  // tan-d schedule, d = 9: α² = 1 / (1 + d² tan²(πt/2))
  const alpha = tf.tidy(() => tf.reshape(tf.rsqrt(tf.add(1, tf.mul(81, tf.square(tf.tan(tf.mul(tRow, Math.PI / 2)))))), [batchSize, 1, 1]));
  const sigma = tf.tidy(() => tf.sqrt(tf.sub(1, tf.square(alpha))));
  const noise = tf.randomNormal([batchSize, len, cfg.latentDim], 0, 1, "float32", seed + 999);

  const weights = (): Weights => vars;

  const normalize = (e: tf.Tensor): tf.Tensor => {
    // DataNorm-shaped: per-feature statistics without gradient (the real one keeps an EMA).
    const mu = stopGradient(tf.mean(e, [0, 1]) as tf.Tensor);
    const sq = stopGradient(tf.mean(tf.square(e), [0, 1]) as tf.Tensor);
    return tf.div(tf.sub(e, mu), tf.sqrt(tf.add(tf.sub(sq, tf.square(mu)), 1e-5)));
  };

  function run(): { lossDif: number; lossAe: number } {
    return tf.tidy(() => {
      // Shared: x0 from the encoder, first (self-conditioning) denoiser pass without gradient.
      const x0Const = tf.tidy(() => normalize(nets.enc.forward(tokens, weights())));
      const xtConst = tf.add(tf.mul(alpha, x0Const), tf.mul(sigma, noise)) as tf.Tensor3D;
      const zeros = tf.zerosLike(xtConst) as tf.Tensor3D;
      const xsc = stopGradient(nets.dif.forward({ xt: xtConst, xsc: zeros, t: tRow }, weights())) as tf.Tensor3D;

      // L_dif → Dif only (x_t is a constant here).
      const difGrads = tf.variableGrads(() => {
        const x0hat = nets.dif.forward({ xt: xtConst, xsc, t: tRow }, weights());
        return tf.mean(tf.squaredDifference(x0hat, x0Const)) as tf.Scalar;
      }, difNames.map((n) => vars[n]));

      // L_ae = CE + ‖x0 − SG[x̂0]‖² → Enc/Dec, through Dif's computation with Dif's weights frozen.
      const aeGrads = tf.variableGrads(() => {
        // Only Enc/Dec variables are differentiated, so Dif's weights act as constants here.
        const w = weights();
        const x0 = normalize(nets.enc.forward(tokens, w)) as tf.Tensor3D;
        const xt = tf.add(tf.mul(alpha, x0), tf.mul(sigma, noise)) as tf.Tensor3D;
        const x0hat = nets.dif.forward({ xt, xsc, t: tRow }, w);
        const logits = nets.dec.forward(x0hat, w);
        const ce = softmaxCrossEntropy(tf.reshape(logits, [-1, cfg.vocabSize]) as tf.Tensor2D, labels);
        return tf.add(ce, tf.mean(tf.squaredDifference(x0, stopGradient(x0hat)))) as tf.Scalar;
      }, aeNames.map((n) => vars[n]));

      optimizer.applyGradients({ ...difGrads.grads, ...aeGrads.grads } as unknown as Parameters<typeof optimizer.applyGradients>[0]);
      return { lossDif: difGrads.value.dataSync()[0], lossAe: aeGrads.value.dataSync()[0] };
    });
  }

  return {
    run,
    paramCount,
    dispose() {
      tf.dispose([tokens, labels, tRow, alpha, sigma, noise, ...Object.values(vars)]);
      optimizer.dispose();
    },
  };
}
